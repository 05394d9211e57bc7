//! Opens GPU 0 and prints what nvbare knows about it. Without a usable GPU it prints why (which
//! device nodes and sysfs paths it looked for) and exits with status 1.
//!
//!     cargo run --release --example device_info [INDEX]

use std::error::Error as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let index = match std::env::args().nth(1).map(|s| s.parse::<usize>()) {
        None => 0,
        Some(Ok(i)) => i,
        Some(Err(e)) => {
            eprintln!("device_info: bad GPU index: {e}");
            return ExitCode::from(2);
        }
    };
    match nvbare::Device::open(index) {
        Ok(dev) => {
            let (major, minor) = dev.sm_version();
            println!(
                "GPU {index} (nvidia.ko {}), sm_{major}{minor}",
                dev.driver_version()
            );
            println!("{}", dev.info());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("device_info: {e}");
            let mut src = e.source();
            while let Some(s) = src {
                eprintln!("  caused by: {s}");
                src = s.source();
            }
            ExitCode::from(1)
        }
    }
}
