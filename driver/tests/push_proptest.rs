//! Property tests of the builder and decoder: any sequence of method writes built with the automatic
//! form choice decodes back to the same writes; any word soup decodes without panicking.

use nvbare_driver::push::decode::{Decoder, Item};
use nvbare_driver::push::gpfifo::GpEntry;
use nvbare_driver::push::{PushBuffer, SecOp, Subchannel};
use proptest::prelude::*;

fn writes() -> impl Strategy<Value = Vec<(u8, u32, u32)>> {
    // Small offset/subchannel ranges make consecutive and repeated methods (header extension) common.
    let value = prop_oneof![0u32..0x2000, any::<u32>()];
    proptest::collection::vec(
        (0u8..3, (0u32..24).prop_map(|d| 0x100 + d * 4), value),
        0..200,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn built_writes_decode_back(ws in writes()) {
        let mut buf = vec![0u32; 512];
        let mut pb = PushBuffer::new(&mut buf);
        for &(s, off, v) in &ws {
            pb.method_raw(Subchannel::new(s).unwrap(), off, v).unwrap();
        }
        // never longer than the naive encoding (header + data per write)
        prop_assert!(pb.len() <= 2 * ws.len());
        let got: Vec<(u8, u32, u32)> = Decoder::new()
            .decode(pb.words())
            .into_iter()
            .filter_map(|i| match i {
                Item::Method(m) => Some((m.subchannel, m.offset, m.value)),
                Item::Truncated { .. } | Item::Unsupported { .. } => panic!("unexpected {i:?}"),
                _ => None,
            })
            .collect();
        prop_assert_eq!(got, ws);
    }

    #[test]
    fn explicit_forms_decode_back(s in 0u8..8, dword in 0x40u32..0x800, data in proptest::collection::vec(any::<u32>(), 1..50), op in 0usize..3) {
        let op = [SecOp::IncMethod, SecOp::NonIncMethod, SecOp::OneInc][op];
        let off = dword * 4;
        let mut buf = vec![0u32; 64];
        let mut pb = PushBuffer::new(&mut buf);
        pb.methods(op, Subchannel::new(s).unwrap(), off, &data).unwrap();
        prop_assert_eq!(pb.len(), data.len() + 1);
        let got: Vec<(u32, u32)> = Decoder::new().decode(pb.words()).into_iter().filter_map(|i| match i {
            Item::Method(m) => Some((m.offset, m.value)),
            _ => None,
        }).collect();
        let want: Vec<(u32, u32)> = data.iter().enumerate().map(|(k, &v)| {
            let k = u32::try_from(k).unwrap();
            let o = match op { SecOp::IncMethod => off + 4 * k, SecOp::OneInc if k > 0 => off + 4, _ => off };
            (o, v)
        }).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn decoder_never_panics(words in proptest::collection::vec(any::<u32>(), 0..300), b in proptest::collection::vec((0u8..10, any::<u32>()), 0..4)) {
        let mut d = Decoder::new();
        for (s, c) in b {
            d = d.bind(s, c & 0xffff);
        }
        let items = d.decode(&words);
        for i in &items {
            let _ = i.to_string();
        }
    }

    #[test]
    fn gp_entries_round_trip(addr in 0u64..(1 << 38), len in 1u32..(1 << 21)) {
        let e = GpEntry::segment(addr * 4, len).unwrap();
        prop_assert_eq!(GpEntry::decode(e.encode().unwrap()), e);
    }
}

#[test]
fn long_runs_split_into_several_headers() {
    let data: Vec<u32> = (0..10_000).collect();
    let mut buf = vec![0u32; 10_010];
    let mut pb = PushBuffer::new(&mut buf);
    pb.methods(
        SecOp::NonIncMethod,
        Subchannel::new(1).unwrap(),
        0x200,
        &data,
    )
    .unwrap();
    assert_eq!(pb.len(), 10_002); // 8191 + 1809 words, two headers
    let n = Decoder::new()
        .decode(pb.words())
        .iter()
        .filter(|i| matches!(i, Item::Method(_)))
        .count();
    assert_eq!(n, 10_000);
}
