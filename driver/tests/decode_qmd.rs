//! The pushbuffer decoder with the QMD module's hook: inline QMDs and QMDs launched by address come out as
//! named QMD fields of the version the bound compute class takes.

use nvbare_driver::class::{
    c56f, c7c0, ca6f, cbc0, cec0, seq::ComputeSequences, seq::HostSequences,
};
use nvbare_driver::hal;
use nvbare_driver::push::decode::{Decoder, Item, Listing, QmdDecoded};
use nvbare_driver::push::{Bound, PushBuffer, Subchannel};
use nvbare_driver::qmd::{
    build_launch, LaunchDesc, LaunchRelease, PushQmdDecoder, Qmd, QmdV03_00, QmdV04_00, QmdVersion,
};
use nvbare_driver::Chipset;

fn desc(chip: Chipset) -> LaunchDesc {
    let h = hal::for_chipset(chip).unwrap();
    LaunchDesc {
        grid: [40, 2, 3],
        block: [128, 1, 1],
        program_va: 0x12_3456_7800,
        program_size: 0x800,
        register_count: 42,
        shared_mem_bytes: 0x400,
        sm_shared: h.sm_shared_config(0x400).unwrap(),
        local_mem_per_thread: 0,
        cbank0_va: 0x20_0000_0000,
        cbank0_size: 0x180,
        barrier_count: 1,
        sass_version: h.sass_version(),
        release: Some(LaunchRelease {
            address: 0x30_0000_0008,
            payload: 0x1234,
        }),
    }
}

/// Hopper compute pushbuffer written by hand (header: SEC_OP 31:29, COUNT 28:16, SUBCHANNEL 15:13,
/// ADDRESS 11:0 in dwords, `NVC86F_DMA_*`):
/// - SET_OBJECT CBC0 on subchannel 1: INC (1<<29) | count 1 | subc 1 (1<<13) | 0 = 0x20012000;
/// - host semaphore release on subchannel 0, SEM_ADDR_LO..SEM_EXECUTE (0x5c, dword 0x17, 5 methods):
///   0x20050017, address 0x1_2345_6780, payload 0x5_0000_0007, SEM_EXECUTE = RELEASE | RELEASE_WFI_EN |
///   PAYLOAD_SIZE_64BIT | RELEASE_TIMESTAMP_EN = 0x03100001;
/// - SET_INLINE_QMD_ADDRESS_A/B (0x318, dword 0xc6, 2 methods): 0x200220c6, A = INLINE_SIZE_INLINE_384
///   (bit 30) | QMD_ADDRESS_SHIFTED8_UPPER 0 = 0x40000000, B = 0x2_0000_1000 >> 8 = 0x02000010;
/// - LOAD_INLINE_QMD_DATA(0..96) (0x320, dword 0xc8, 96 methods): 0x206020c8, then the 96 QMD words;
/// - SEND_PCAS_A (0x2b4, dword 0xad): 0x200120ad, 0x02000010;
/// - SEND_SIGNALING_PCAS2_B (0x2c0, dword 0xb0) INVALIDATE_COPY_SCHEDULE (3) as an immediate: 0x800320b0.
fn hopper_pushbuffer(qmd: &[u32]) -> Vec<u32> {
    let mut w = vec![
        0x2001_2000,
        0x0000_cbc0, //
        0x2005_0017,
        0x2345_6780,
        0x0000_0001,
        0x0000_0007,
        0x0000_0005,
        0x0310_0001, //
        0x2002_20c6,
        0x4000_0000,
        0x0200_0010, //
        0x2060_20c8,
    ];
    w.extend_from_slice(qmd);
    w.extend_from_slice(&[0x2001_20ad, 0x0200_0010, 0x8003_20b0]);
    w
}

fn inline_qmds(items: &[Item]) -> Vec<(usize, Option<u64>, usize, Option<QmdDecoded>)> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::InlineQmd {
                index,
                address,
                words,
                decoded,
                ..
            } => Some((*index, *address, *words, decoded.clone())),
            _ => None,
        })
        .collect()
}

fn field(q: &QmdDecoded, name: &str) -> Option<u64> {
    q.fields.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
}

#[test]
fn hopper_inline_qmd_prints_named_fields() {
    let qmd: QmdV04_00 = build_launch(&desc(Chipset::Gh100)).unwrap();
    assert_eq!(qmd.words().len(), 96);
    let words = hopper_pushbuffer(qmd.words());
    let hook = PushQmdDecoder::new();
    let items = Decoder::new().with_qmd_fields(&hook).decode(&words);
    let text = Listing(items.clone()).to_string();
    println!("{text}");

    // The method lines around the QMD still decode as before.
    assert!(
        text.contains("0001: 0000cbc0   CBC0.SET_OBJECT = 0x0000cbc0"),
        "{text}"
    );
    assert!(
        text.contains("C86F.SEM_EXECUTE = 0x03100001 { OPERATION=RELEASE"),
        "{text}"
    );
    assert!(
        text.contains(
            "CBC0.SET_INLINE_QMD_ADDRESS_A = 0x40000000 { QMD_ADDRESS_SHIFTED8_UPPER=0x0, INLINE_SIZE=INLINE_384 }"
        ),
        "{text}"
    );
    // The inline QMD: first word at index 12, address from SET_INLINE_QMD_ADDRESS_A/B, version from the HAL.
    assert!(
        text.contains("0012: inline QMD for CBC0: 96 words at 0x200001000 QMD V04_00\n"),
        "{text}"
    );
    let pad = " ".repeat(17);
    for line in [
        "QMD_MAJOR_VERSION = 0x4",
        "QMD_TYPE = 0x2",    // GRID_CTA
        "GRID_WIDTH = 0x28", // 40
        "GRID_HEIGHT = 0x2",
        "GRID_DEPTH = 0x3",
        "CTA_THREAD_DIMENSION0 = 0x80", // 128
        "CTA_THREAD_DIMENSION1 = 0x1",
        "PROGRAM_ADDRESS_LOWER = 0x34567800",
        "PROGRAM_ADDRESS_UPPER = 0x12",
        "REGISTER_COUNT = 0x2a", // 42
        "BARRIER_COUNT = 0x1",
        "SASS_VERSION = 0x90", // sm_90
        "SHARED_MEMORY_SIZE = 0x400",
        "CONSTANT_BUFFER_VALID(0) = 0x1",
        "CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(0) = 0x80000000", // 0x20_0000_0000 >> 6
        "RELEASE_SEMAPHORE0_ADDR_LOWER = 0x8",
        "RELEASE_SEMAPHORE0_ADDR_UPPER = 0x30",
        "RELEASE_SEMAPHORE0_PAYLOAD_LOWER = 0x1234",
    ] {
        assert!(
            text.contains(&format!("\n{pad}{line}\n")),
            "missing {line:?} in\n{text}"
        );
    }
    // Zero fields are left out.
    assert!(!text.contains("GRID_NULL"), "{text}");
    assert!(
        !text.contains("PROGRAM_PREFETCH_ADDR_UPPER_SHIFTED ="),
        "{text}"
    );
    assert!(
        text.contains("0109: CBC0 launches QMD at 0x200001000\n"),
        "{text}"
    );

    // Structured form: one inline QMD, with exactly the QMD module's own non-zero fields.
    let q = inline_qmds(&items);
    assert_eq!(q.len(), 1);
    let (index, address, n, decoded) = q.into_iter().next().unwrap();
    assert_eq!((index, address, n), (12, Some(0x2_0000_1000), 96));
    let decoded = decoded.expect("hook decodes the inline QMD");
    assert_eq!(decoded.version, "V04_00");
    let own: Vec<(String, u64)> = nvbare_driver::qmd::decode(
        QmdVersion::V04_00,
        &qmd.words()
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect::<Vec<_>>(),
    )
    .unwrap()
    .nonzero()
    .map(|f| (f.field.to_string(), u64::from(f.value)))
    .collect();
    let got: Vec<(String, u64)> = decoded
        .fields
        .iter()
        .map(|(n, v)| (n.to_string(), *v))
        .collect();
    assert_eq!(got, own);
    assert_eq!(field(&decoded, "GRID_WIDTH"), Some(40));
    assert_eq!(field(&decoded, "REGISTER_COUNT"), Some(42));
}

#[test]
fn hook_off_gives_no_fields() {
    let qmd: QmdV04_00 = build_launch(&desc(Chipset::Gh100)).unwrap();
    let items = Decoder::new().decode(&hopper_pushbuffer(qmd.words()));
    let q = inline_qmds(&items);
    assert_eq!(q.len(), 1);
    assert!(q[0].3.is_none());
}

/// The builder's sequences for Ampere (C7C0 + C56F, V03_00, 64 words) and Blackwell GB20x (CEC0 + CA6F,
/// V05_00, 96 words) decode with their classes' versions.
#[test]
fn ampere_and_blackwell_inline_qmds_use_their_versions() {
    let hook = PushQmdDecoder::new();
    let sem = nvbare_driver::class::seq::Semaphore {
        address: 0x1000,
        payload: 1,
        wide: true,
    };
    let release = nvbare_driver::class::seq::SemaphoreOp::Release {
        wfi: true,
        timestamp: false,
    };

    let amp = hal::for_chipset(Chipset::Ga102)
        .unwrap()
        .build_launch_qmd(&desc(Chipset::Ga102))
        .unwrap();
    assert_eq!(amp.version(), QmdVersion::V03_00);
    let mut buf = [0u32; 256];
    let mut pb = PushBuffer::new(&mut buf);
    let c = pb.bind::<c7c0::Class>(Subchannel::new(1).unwrap()).unwrap();
    let h = Bound::<c56f::Class>::assume(Subchannel::new(0).unwrap());
    c56f::Class::semaphore(&mut pb, h, sem, release).unwrap();
    c7c0::Class::load_inline_qmd(&mut pb, c, 0x4000, amp.words()).unwrap();
    c7c0::Class::launch_qmd(&mut pb, c, 0x4000).unwrap();
    let items = Decoder::new().with_qmd_fields(&hook).decode(pb.words());
    let q = inline_qmds(&items);
    let d = q[0].3.clone().unwrap();
    assert_eq!(d.version, "V03_00");
    assert_eq!(field(&d, "CTA_RASTER_WIDTH"), Some(40));
    assert_eq!(field(&d, "SASS_VERSION"), Some(0x86));
    assert_eq!(field(&d, "REGISTER_COUNT_V"), Some(42));
    assert_eq!(q[0].1, Some(0x4000));

    let bw = hal::for_chipset(Chipset::Gb202)
        .unwrap()
        .build_launch_qmd(&desc(Chipset::Gb202))
        .unwrap();
    assert_eq!(bw.version(), QmdVersion::V05_00);
    let mut buf = [0u32; 256];
    let mut pb = PushBuffer::new(&mut buf);
    let c = pb.bind::<cec0::Class>(Subchannel::new(1).unwrap()).unwrap();
    let h = Bound::<ca6f::Class>::assume(Subchannel::new(0).unwrap());
    ca6f::Class::semaphore(&mut pb, h, sem, release).unwrap();
    cec0::Class::load_inline_qmd(&mut pb, c, 0x4000, bw.words()).unwrap();
    let items = Decoder::new().with_qmd_fields(&hook).decode(pb.words());
    let d = inline_qmds(&items)[0].3.clone().unwrap();
    assert_eq!(d.version, "V05_00");
    assert_eq!(field(&d, "GRID_WIDTH"), Some(40));
    assert_eq!(field(&d, "SASS_VERSION"), Some(0xc0));
    assert_eq!(field(&d, "QMD_MAJOR_VERSION"), Some(5));
    assert_eq!(field(&d, "REGISTER_COUNT"), Some(42));
}

/// `HOPPER_COMPUTE_A` also defines QMD V03_00: a 64-word V03_00 QMD loaded on CBC0 decodes as what it says.
#[test]
fn stored_version_overrides_the_class_default() {
    let v3: QmdV03_00 = build_launch(&desc(Chipset::Gh100)).unwrap();
    let mut buf = [0u32; 128];
    let mut pb = PushBuffer::new(&mut buf);
    let c = pb.bind::<cbc0::Class>(Subchannel::new(1).unwrap()).unwrap();
    cbc0::Class::load_inline_qmd(&mut pb, c, 0x4000, v3.words()).unwrap();
    let hook = PushQmdDecoder::new();
    let items = Decoder::new().with_qmd_fields(&hook).decode(pb.words());
    let d = inline_qmds(&items)[0].3.clone().unwrap();
    assert_eq!(
        d.version,
        "V03_00 (stored version; class CBC0 takes V04_00)"
    );
    assert_eq!(field(&d, "CTA_RASTER_WIDTH"), Some(40));
}

#[test]
fn partial_inline_qmd_is_labelled() {
    let qmd: QmdV04_00 = build_launch(&desc(Chipset::Gh100)).unwrap();
    let mut words = vec![0x2001_2000, 0x0000_cbc0, 0x200a_20c8];
    words.extend_from_slice(&qmd.words()[..10]);
    let hook = PushQmdDecoder::new();
    let items = Decoder::new().with_qmd_fields(&hook).decode(&words);
    let d = inline_qmds(&items)[0].3.clone().unwrap();
    assert_eq!(
        d.version,
        "V04_00 (partial: 10 of 96 words, rest taken as 0)"
    );
    // Only fields inside the first ten words can be non-zero, with the full QMD's values.
    let bytes: Vec<u8> = qmd.words().iter().flat_map(|w| w.to_le_bytes()).collect();
    let full = nvbare_driver::qmd::decode(QmdVersion::V04_00, &bytes).unwrap();
    assert!(!d.fields.is_empty());
    for (name, v) in &d.fields {
        let f = full
            .fields
            .iter()
            .find(|f| f.field.to_string() == *name)
            .unwrap();
        assert!(f.field.word() < 10, "{name}");
        assert_eq!(u64::from(f.value), *v, "{name}");
    }
}

#[test]
fn qmd_launched_by_address_is_read_from_given_memory() {
    let qmd: QmdV04_00 = build_launch(&desc(Chipset::Gh100)).unwrap();
    // A 4 KiB "QMD pool" at 0x2_0000_0000 with the QMD in slot 16 (0x1000).
    let mut pool = vec![0u8; 0x2000];
    qmd.write_bytes(&mut pool[0x1000..0x1000 + 384]).unwrap();
    let hook = PushQmdDecoder::new().with_memory(0x2_0000_0000, &pool);
    let words = [0x2001_2000, 0x0000_cbc0, 0x2001_20ad, 0x0200_0010];
    let items = Decoder::new().with_qmd_fields(&hook).decode(&words);
    let at: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            Item::QmdAt {
                address, decoded, ..
            } => Some((*address, decoded.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(at.len(), 1);
    assert_eq!(at[0].0, 0x2_0000_1000);
    let d = at[0].1.clone().unwrap();
    assert_eq!(d.version, "V04_00");
    assert_eq!(field(&d, "PROGRAM_ADDRESS_LOWER"), Some(0x3456_7800));
    // Outside the given memory: nothing decoded.
    let items = Decoder::new().with_qmd_fields(&hook).decode(&[
        0x2001_2000,
        0x0000_cbc0,
        0x2001_20ad,
        0x0300_0000,
    ]);
    assert!(items
        .iter()
        .any(|i| matches!(i, Item::QmdAt { decoded: None, .. })));
    // The QMD crosses the end of the region: partial.
    let hook = PushQmdDecoder::new().with_memory(0x2_0000_0000, &pool[..0x1000 + 100]);
    let items = Decoder::new().with_qmd_fields(&hook).decode(&words);
    let d = items
        .iter()
        .find_map(|i| match i {
            Item::QmdAt { decoded, .. } => decoded.clone(),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        d.version,
        "V04_00 (partial: 25 of 96 words, rest taken as 0)"
    );
}

/// `INLINE_SIZE` is followed: 96 words under INLINE_384 pass quietly; under INLINE_256 the listing says so.
#[test]
fn inline_size_is_checked_against_the_words_loaded() {
    let qmd: QmdV04_00 = build_launch(&desc(Chipset::Gh100)).unwrap();
    let hook = PushQmdDecoder::new();
    let words = hopper_pushbuffer(qmd.words());
    let items = Decoder::new().with_qmd_fields(&hook).decode(&words);
    assert!(items.iter().any(|i| matches!(
        i,
        Item::InlineQmd {
            inline_size: Some(384),
            words: 96,
            ..
        }
    )));
    assert!(!Listing(items).to_string().contains("INLINE_SIZE announces"));
    let mut words = words;
    words[9] = 0; // SET_INLINE_QMD_ADDRESS_A: INLINE_SIZE_INLINE_256
    let text = Listing(Decoder::new().with_qmd_fields(&hook).decode(&words)).to_string();
    assert!(
        text.contains("0012: inline QMD for CBC0: 96 words at 0x200001000 (INLINE_SIZE announces 256 bytes) QMD V04_00\n"),
        "{text}"
    );
    // Ampere's C7C0 has no INLINE_SIZE field.
    let mut buf = [0u32; 128];
    let mut pb = PushBuffer::new(&mut buf);
    let c = pb.bind::<c7c0::Class>(Subchannel::new(1).unwrap()).unwrap();
    let v3: QmdV03_00 = build_launch(&desc(Chipset::Ga102)).unwrap();
    c7c0::Class::load_inline_qmd(&mut pb, c, 0x4000, v3.words()).unwrap();
    let items = Decoder::new().decode(pb.words());
    assert!(items.iter().any(|i| matches!(
        i,
        Item::InlineQmd {
            inline_size: None,
            words: 64,
            ..
        }
    )));
}
