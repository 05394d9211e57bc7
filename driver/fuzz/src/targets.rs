//! Bodies of the nvbare-driver fuzz targets. Included (`#[path]`) by each `fuzz_targets/*.rs` binary and by
//! the seed regression test `driver/tests/fuzz_seeds.rs`, so a seed exercises exactly what the fuzzer ran.
//! Each function must not panic on any input; the `assert!`s are invariants whose failure is a finding.
#![allow(dead_code)]

use std::fmt::Write as _;

use nvbare_driver::class::{self, ClassKind};
use nvbare_driver::pci::dma::parse_vmlck;
use nvbare_driver::pci::Bdf;
use nvbare_driver::push::decode::{Decoder, Item, Listing};
use nvbare_driver::qmd::{self, PushQmdDecoder, Qmd, QmdV03_00, QmdV04_00, QmdV05_00, QmdVersion};

fn words_of(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Input: `[mask, host, base0..4, (class byte)* , words...]`.
/// - `mask` bit `s` set: subchannel `s` starts bound; its class byte picks a known class (index into the
///   class tables) when below 0xF0, else the next two bytes are a raw 16-bit class id;
/// - `host` < 4 picks one of the four host classes, otherwise the host class is inferred;
/// - `base` (little-endian u32, shifted left by 8) is where the whole input is visible as GPU memory to the
///   QMD hook (for `SEND_PCAS_A`);
/// - the rest, as little-endian words, is the pushbuffer.
pub fn push_decode(data: &[u8]) {
    let mut it = data.iter().copied();
    let mask = it.next().unwrap_or(0);
    let host = it.next().unwrap_or(0xff);
    let base_bytes: Vec<u8> = it.by_ref().take(4).collect();
    let mut b = [0u8; 4];
    for (d, s) in b.iter_mut().zip(&base_bytes) {
        *d = *s;
    }
    let base = u64::from(u32::from_le_bytes(b)) << 8;
    let all = class::gen::ALL;
    let mut binds = Vec::new();
    for s in 0u8..8 {
        if mask & (1 << s) == 0 {
            continue;
        }
        let Some(c) = it.next() else { break };
        let id = if c < 0xF0 {
            all.get(usize::from(c) % all.len()).map_or(0, |d| d.id)
        } else {
            let lo = it.next().unwrap_or(0);
            let hi = it.next().unwrap_or(0);
            u32::from(u16::from_le_bytes([lo, hi]))
        };
        binds.push((s, id));
    }
    let consumed = data.len() - it.len();
    let words = words_of(data.get(consumed..).unwrap_or(&[]));

    let hook = PushQmdDecoder::new().with_memory(base, data);
    let mut dec = Decoder::new().with_qmd_fields(&hook);
    for &(s, id) in &binds {
        dec = dec.bind(s, id);
    }
    let hosts: Vec<_> = all.iter().filter(|d| d.kind == ClassKind::Host).collect();
    if let Some(h) = hosts.get(usize::from(host)) {
        dec = dec.host_class(h);
    }
    let items = dec.decode(&words);
    for item in &items {
        match item {
            Item::Header { index, .. }
            | Item::Truncated { index, .. }
            | Item::Unsupported { index, .. } => {
                assert!(*index < words.len());
            }
            Item::Method(m) => assert!(m.index < words.len()),
            Item::Bind {
                index, subchannel, ..
            } => assert!(*index < words.len() && *subchannel < 8),
            Item::InlineQmd {
                index, words: n, ..
            } => {
                assert!(*index < words.len() && *n >= 1 && *n <= words.len());
            }
            Item::QmdAt { index, .. } => assert!(*index < words.len()),
        }
    }
    let mut text = String::new();
    let _ = write!(text, "{}", Listing(items));
}

/// Input: QMD bytes. Runs every version's decoder, the version detector, the typed getters and the
/// pushbuffer hook over them.
pub fn qmd_decode(data: &[u8]) {
    for v in QmdVersion::ALL {
        // Exactly sized input must decode, and decode -> encode must give the same words back.
        if let Some(exact) = data.get(..v.size_bytes()) {
            let d = qmd::decode(v, exact);
            assert!(d.is_ok(), "{v}: exact-size input rejected");
            if let Ok(d) = d {
                let again = d.encode();
                assert_eq!(
                    again.ok(),
                    Some(words_of(exact)),
                    "{v}: decode/encode round trip"
                );
                // The full listing is slow (hundreds of lines); print it for one input in 16.
                if data.first().is_some_and(|b| b & 0xf == 0) {
                    let _ = d.to_string();
                }
            }
        }
        // Any other length is an error, not a panic.
        if data.len() != v.size_bytes() {
            assert!(qmd::decode(v, data).is_err());
        }
    }
    if let Some(v) = qmd::decode::detect_version(data) {
        assert_eq!(data.len(), v.size_bytes());
        let d = qmd::decode(v, data);
        assert_eq!(
            d.ok().and_then(|d| d.value_of(v.layout().major_version)),
            Some(v.numbers().0)
        );
    }
    typed::<QmdV03_00>(data);
    typed::<QmdV04_00>(data);
    typed::<QmdV05_00>(data);
    let hook = PushQmdDecoder::new();
    let words = words_of(data);
    for c in class::gen::ALL
        .iter()
        .filter(|d| d.kind == ClassKind::Compute)
    {
        use nvbare_driver::push::decode::QmdDecoder;
        let _ = hook.decode_inline(c, &words);
    }
}

fn typed<Q: Qmd>(data: &[u8]) {
    let Some(exact) = data.get(..Q::LAYOUT.words * 4) else {
        assert!(Q::from_bytes(data).is_err());
        return;
    };
    let Ok(q) = Q::from_bytes(exact) else {
        panic!("exact-size bytes rejected");
    };
    assert_eq!(q.to_bytes(), exact);
    let _ = (
        q.grid(),
        q.block(),
        q.program_address(),
        q.program_prefetch(),
        q.register_count(),
    );
    let _ = (
        q.barrier_count(),
        q.shared_memory_size(),
        q.sm_shared_config(),
        q.shader_local_memory(),
    );
    for i in 0..9 {
        let _ = (q.constant_buffer(i), q.constant_buffer_invalidate(i));
    }
    for i in 0..4 {
        let _ = (q.release(i), q.dependent_qmd(i));
    }
    let _ = (q.invalidate(), q.cwd_membar_type(), q.stored_version());
    if data.first().is_some_and(|b| b & 0xf == 1) {
        let _ = format!("{q:?}");
    }
}

/// Input: text (lossy UTF-8). Parses it as a PCI address (`DDDD:BB:DD.F` / `BB:DD.F`) and as a
/// `/proc/<pid>/status` text (`VmLck:` line).
pub fn pci_addr(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for s in [text.as_ref(), text.trim()] {
        if let Ok(b) = s.parse::<Bdf>() {
            // Display form parses back to the same address.
            let shown = b.to_string();
            assert_eq!(shown.parse::<Bdf>().ok(), Some(b), "{s:?} -> {shown:?}");
            assert!(b.device() < 32 && b.function() < 8);
        }
    }
    if let Some(n) = parse_vmlck(&text) {
        assert_eq!(n % 1024, 0);
    }
    if let [d0, d1, d2, d3, bus, dev, func, ..] = *data {
        let b = Bdf::new(u32::from_le_bytes([d0, d1, d2, d3]), bus, dev, func);
        assert_eq!(b.is_some(), dev < 32 && func < 8);
        if let Some(b) = b {
            assert_eq!(b.to_string().parse::<Bdf>().ok(), Some(b));
        }
    }
}
