//! Decodes a hand-written Hopper compute pushbuffer and checks the names and fields printed.

use nvbare_driver::class::{c86f, cbc0};
use nvbare_driver::push::decode::{Decoder, Item, Listing};
use nvbare_driver::push::{Bound, PushBuffer, Subchannel};

/// Words written out by hand from the header bit ranges:
/// - header: SEC_OP 31:29, COUNT 28:16, SUBCHANNEL 15:13, ADDRESS 11:0 (`NVC86F_DMA_*` / cl906f.h)
/// - SET_OBJECT CBC0 on subchannel 1: INC (1<<29) | count 1 (1<<16) | subc 1 (1<<13) | 0 = 0x20012000
/// - host semaphore on subchannel 0, five consecutive methods from SEM_ADDR_LO (0x5c, dword 0x17):
///   INC | count 5 | 0x17 = 0x20050017; SEM_ADDR_LO = 0x23456780 (OFFSET 31:2), SEM_ADDR_HI = 0x1
///   (OFFSET 24:0), SEM_PAYLOAD_LO = 7, SEM_PAYLOAD_HI = 5, SEM_EXECUTE = OPERATION_RELEASE (2:0 = 1) |
///   RELEASE_WFI_EN (20:20) | PAYLOAD_SIZE_64BIT (24:24) | RELEASE_TIMESTAMP_EN (25:25) = 0x03100001
/// - SEND_PCAS_A (0x2b4, dword 0xad) QMD_ADDRESS_SHIFTED8 = 0x2_0000_1000 >> 8 = 0x02000010:
///   INC | count 1 | subc 1 | 0xad = 0x200120ad
/// - SEND_SIGNALING_PCAS2_B (0x2c0, dword 0xb0) PCAS_ACTION 3:0 = INVALIDATE_COPY_SCHEDULE (3), as an
///   immediate: IMMD (4<<29) | data 3 (3<<16) | subc 1 | 0xb0 = 0x800320b0
const HOPPER: [u32; 11] = [
    0x2001_2000,
    0x0000_cbc0, //
    0x2005_0017,
    0x2345_6780,
    0x0000_0001,
    0x0000_0007,
    0x0000_0005,
    0x0310_0001, //
    0x2001_20ad,
    0x0200_0010, //
    0x8003_20b0,
];

#[test]
fn builder_produces_the_hand_written_words() {
    let mut buf = [0u32; 32];
    let mut pb = PushBuffer::new(&mut buf);
    let compute = pb.bind::<cbc0::Class>(Subchannel::new(1).unwrap()).unwrap();
    let host = Bound::<c86f::Class>::assume(Subchannel::new(0).unwrap());
    let addr: u64 = 0x1_2345_6780;
    let payload: u64 = 0x5_0000_0007;
    pb.push(
        host,
        c86f::SemAddrLo {
            offset: u32::try_from((addr & 0xffff_ffff) >> 2).unwrap(),
        },
    )
    .unwrap();
    pb.push(
        host,
        c86f::SemAddrHi {
            offset: u32::try_from(addr >> 32).unwrap(),
        },
    )
    .unwrap();
    pb.push(
        host,
        c86f::SemPayloadLo {
            payload: u32::try_from(payload & 0xffff_ffff).unwrap(),
        },
    )
    .unwrap();
    pb.push(
        host,
        c86f::SemPayloadHi {
            payload: u32::try_from(payload >> 32).unwrap(),
        },
    )
    .unwrap();
    pb.push(
        host,
        c86f::SemExecute {
            operation: c86f::SemExecuteOperation::Release,
            release_wfi: c86f::SemExecuteReleaseWfi::En,
            payload_size: c86f::SemExecutePayloadSize::V64bit,
            release_timestamp: c86f::SemExecuteReleaseTimestamp::En,
            ..Default::default()
        },
    )
    .unwrap();
    pb.push(
        compute,
        cbc0::SendPcasA {
            qmd_address_shifted8: u32::try_from(0x2_0000_1000u64 >> 8).unwrap(),
        },
    )
    .unwrap();
    pb.push(
        compute,
        cbc0::SendSignalingPcas2B {
            pcas_action: cbc0::SendSignalingPcas2BPcasAction::InvalidateCopySchedule,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(pb.words(), &HOPPER[..]);
}

#[test]
fn decode_prints_names_and_fields() {
    let items = Decoder::new().decode(&HOPPER);
    let text = Listing(items.clone()).to_string();
    println!("{text}");
    let expected = "\
0000: 20012000 INC subc=1 mthd=0x0000 count=1
0001: 0000cbc0   CBC0.SET_OBJECT = 0x0000cbc0 { CLASS_ID=0xcbc0, ENGINE_ID=0x0 }
               bind subc 1 = HOPPER_COMPUTE_A (0xcbc0)
0002: 20050017 INC subc=0 mthd=0x005c count=5
0003: 23456780   C86F.SEM_ADDR_LO = 0x23456780 { OFFSET=0x8d159e0 }
0004: 00000001   C86F.SEM_ADDR_HI = 0x00000001 { OFFSET=0x1 }
0005: 00000007   C86F.SEM_PAYLOAD_LO = 0x00000007
0006: 00000005   C86F.SEM_PAYLOAD_HI = 0x00000005
0007: 03100001   C86F.SEM_EXECUTE = 0x03100001 { OPERATION=RELEASE, ACQUIRE_SWITCH_TSG=DIS, RELEASE_WFI=EN, PAYLOAD_SIZE=64BIT, RELEASE_TIMESTAMP=EN, REDUCTION=IMIN, REDUCTION_FORMAT=SIGNED }
0008: 200120ad INC subc=1 mthd=0x02b4 count=1
0009: 02000010   CBC0.SEND_PCAS_A = 0x02000010
0009: CBC0 launches QMD at 0x200001000
0010: 800320b0 IMMD subc=1 mthd=0x02c0 data=0x3
               CBC0.SEND_SIGNALING_PCAS2_B = 0x00000003 { PCAS_ACTION=INVALIDATE_COPY_SCHEDULE, SELECT=0x0, OFFSET_MINUS_ONE=0x0 }
";
    assert_eq!(text, expected);
    // The structured form carries the same facts.
    let methods: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            Item::Method(m) => m
                .method
                .map(|(d, _)| (m.class.map(|c| c.short), d.name, m.value)),
            _ => None,
        })
        .collect();
    assert_eq!(
        methods,
        vec![
            (Some("CBC0"), "SET_OBJECT", 0xcbc0),
            (Some("C86F"), "SEM_ADDR_LO", 0x2345_6780),
            (Some("C86F"), "SEM_ADDR_HI", 1),
            (Some("C86F"), "SEM_PAYLOAD_LO", 7),
            (Some("C86F"), "SEM_PAYLOAD_HI", 5),
            (Some("C86F"), "SEM_EXECUTE", 0x0310_0001),
            (Some("CBC0"), "SEND_PCAS_A", 0x0200_0010),
            (Some("CBC0"), "SEND_SIGNALING_PCAS2_B", 3),
        ]
    );
}

/// A QMD hook that reports what it was given, to check the decoder's QMD plumbing.
struct Recorder;

impl nvbare_driver::push::decode::QmdDecoder for Recorder {
    fn decode_inline(
        &self,
        class: &'static nvbare_driver::class::ClassDesc,
        words: &[u32],
    ) -> Option<nvbare_driver::push::decode::QmdDecoded> {
        Some(nvbare_driver::push::decode::QmdDecoded {
            version: format!("inline-{}", class.short).into(),
            fields: vec![
                ("WORDS".into(), words.len() as u64),
                ("SUM".into(), words.iter().map(|&w| u64::from(w)).sum()),
            ],
        })
    }
    fn decode_at(
        &self,
        class: &'static nvbare_driver::class::ClassDesc,
        address: u64,
    ) -> Option<nvbare_driver::push::decode::QmdDecoded> {
        Some(nvbare_driver::push::decode::QmdDecoded {
            version: format!("at-{}", class.short).into(),
            fields: vec![("ADDRESS".into(), address)],
        })
    }
}

#[test]
fn inline_qmd_and_pcas_reach_the_hook() {
    let mut buf = [0u32; 128];
    let mut pb = PushBuffer::new(&mut buf);
    let c = pb.bind::<cbc0::Class>(Subchannel::new(1).unwrap()).unwrap();
    pb.push(
        c,
        cbc0::SetInlineQmdAddressA {
            qmd_address_shifted8_upper: 0x2,
            ..Default::default()
        },
    )
    .unwrap();
    pb.push(
        c,
        cbc0::SetInlineQmdAddressB {
            qmd_address_shifted8_lower: 0x10,
        },
    )
    .unwrap();
    let qmd: Vec<u32> = (1..=64).collect();
    pb.push_array::<cbc0::LoadInlineQmdData>(c, 0, &qmd)
        .unwrap();
    pb.push(
        c,
        cbc0::SendPcasA {
            qmd_address_shifted8: 0x0200_0010,
        },
    )
    .unwrap();
    // words: 0-1 SET_OBJECT, 2 IMMD ADDRESS_A, 3 IMMD ADDRESS_B, 4 INC header + 5..=68 QMD, 69-70 SEND_PCAS_A.
    // Inline address: ((0x2 << 32) | 0x10) << 8 = 0x200_0000_1000; PCAS: 0x0200_0010 << 8 = 0x2_0000_1000.
    let items = Decoder::new().qmd_decoder(&Recorder).decode(pb.words());
    let qmds: Vec<String> = items
        .iter()
        .filter(|i| matches!(i, Item::InlineQmd { .. } | Item::QmdAt { .. }))
        .map(|i| i.to_string())
        .collect();
    assert_eq!(
        qmds,
        vec![
            "0005: inline QMD for CBC0: 64 words at 0x20000001000 QMD inline-CBC0\n                 WORDS = 0x40\n                 SUM = 0x820".to_string(),
            "0070: CBC0 launches QMD at 0x200001000 QMD at-CBC0\n                 ADDRESS = 0x200001000".to_string(),
        ]
    );
}
