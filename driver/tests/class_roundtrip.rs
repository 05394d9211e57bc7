//! Round trip over EVERY method and field of every class: a data word built from the method table
//! -> typed struct (`AnyMethod::decode`) -> `encode` gives back the same offset and word and the same
//! field values; the same word pushed through `PushBuffer` and decoded by `push::decode` shows the same
//! method name and field values. Also a property test with random field values.

use nvbare_driver::class::{self, gen::ALL, ClassDesc, FieldDesc, MethodDesc};
use nvbare_driver::push::decode::{Decoder, Item};
use nvbare_driver::push::{PushBuffer, Subchannel};
use nvbare_driver::Error;
use proptest::prelude::*;

type Typed = Option<Result<(u32, u32, Vec<u32>), Error>>;

/// Typed decode + re-encode through the class module's `AnyMethod`.
fn typed(class_id: u32, offset: u32, word: u32) -> Typed {
    macro_rules! dispatch {
        ($($m:ident),*) => {
            match class_id {
                $(x if x == class::$m::DESC.id => class::$m::AnyMethod::decode(offset, word).map(|r| {
                    r.map(|am| {
                        let (o, w) = am.encode();
                        let fields = (0..64).map_while(|i| am.field_raw(i)).collect();
                        (o, w, fields)
                    })
                }),)*
                _ => None,
            }
        };
    }
    dispatch!(
        c56f, c86f, c96f, ca6f, c6c0, c7c0, c9c0, cbc0, cdc0, cec0, c6b5, c7b5, c8b5, c9b5, cab5
    )
}

/// A valid value for a field: named values cycle through the list, numbers are masked.
fn field_value(f: &FieldDesc, pick: u32) -> u32 {
    if f.values.is_empty() {
        pick & f.value_mask()
    } else {
        let n = u32::try_from(f.values.len()).unwrap();
        f.values[usize::try_from(pick % n).unwrap()].value
    }
}

fn build_word(m: &MethodDesc, vals: &[u32]) -> u32 {
    m.fields
        .iter()
        .zip(vals)
        .fold(0, |w, (f, &v)| w | f.put(v).unwrap())
}

/// Checks one (class, method, element, field values) case both ways.
fn check_case(c: &'static ClassDesc, m: &'static MethodDesc, index: u32, vals: &[u32]) {
    // SET_OBJECT (offset 0) rebinds the subchannel to the class its first field names: make that the
    // class under test so the decoder keeps decoding with it.
    let mut own = vals.to_vec();
    if m.offset == 0 {
        own[0] = c.id;
    }
    let vals = &own[..];
    let word = build_word(m, vals);
    let offset = m.element_offset(index).unwrap();
    // typed path
    let (o, w, fields) = typed(c.id, offset, word)
        .unwrap_or_else(|| panic!("{}.{} has no typed method at {offset:#x}", c.short, m.name))
        .unwrap_or_else(|e| panic!("{}.{} word {word:#x}: {e}", c.short, m.name));
    assert_eq!((o, w), (offset, word), "{}.{} re-encode", c.short, m.name);
    assert_eq!(fields, vals, "{}.{} typed fields", c.short, m.name);
    // pushbuffer + decoder path (offset 0 is SET_OBJECT: it binds instead; checked separately)
    let mut buf = [0u32; 4];
    let mut pb = PushBuffer::new(&mut buf);
    let subc = Subchannel::new(2).unwrap();
    pb.method_raw(subc, offset, word).unwrap();
    let mut dec = Decoder::new().bind(
        2,
        if c.kind == class::ClassKind::Host {
            0xCBC0
        } else {
            c.id
        },
    );
    if c.kind == class::ClassKind::Host {
        dec = dec.host_class(c);
    }
    let items = dec.decode(pb.words());
    let dm = items
        .iter()
        .find_map(|i| match i {
            Item::Method(dm) => Some(dm),
            _ => None,
        })
        .unwrap();
    let (md, idx) = dm
        .method
        .unwrap_or_else(|| panic!("{}.{} not decoded", c.short, m.name));
    assert_eq!((md.name, idx, dm.value), (m.name, index, word));
    assert_eq!(
        dm.class.unwrap().id,
        c.id,
        "{}.{} decoded with the wrong class",
        c.short,
        m.name
    );
    let dvals: Vec<u32> = dm.fields.iter().map(|f| f.value).collect();
    assert_eq!(dvals, vals, "{}.{} decoded fields", c.short, m.name);
    for (df, f) in dm.fields.iter().zip(m.fields) {
        assert_eq!(df.desc.name, f.name);
        assert_eq!(df.value_name, f.value_name(df.value));
    }
    assert_eq!(dm.reserved, 0);
}

#[test]
fn every_method_and_field_round_trips() {
    let mut cases = 0usize;
    for &c in ALL.iter() {
        for m in c.methods {
            let last = m.count - 1;
            for index in [0, last] {
                let base: Vec<u32> = m.fields.iter().map(|f| field_value(f, 0)).collect();
                check_case(c, m, index, &base);
                cases += 1;
                for (fi, f) in m.fields.iter().enumerate() {
                    // every named value, else zero, one and the maximum
                    let picks: Vec<u32> = if f.values.is_empty() {
                        vec![0, 1, f.value_mask()]
                    } else {
                        f.values.iter().map(|v| v.value).collect()
                    };
                    for p in picks {
                        let mut vals = base.clone();
                        vals[fi] = p;
                        check_case(c, m, index, &vals);
                        cases += 1;
                    }
                }
            }
        }
    }
    eprintln!("round trip: {cases} cases over {} classes", ALL.len());
    // 15 classes; make sure the loop really ran over all of them.
    assert_eq!(ALL.len(), 15);
    assert!(cases > 1000, "only {cases} cases");
}

#[test]
fn reserved_bits_and_unnamed_values_are_errors() {
    for &c in ALL.iter() {
        for m in c.methods {
            let reserved = m.reserved_mask();
            if reserved != 0 {
                let bit = reserved & reserved.wrapping_neg();
                let r = typed(c.id, m.offset, bit).unwrap();
                assert!(
                    matches!(r, Err(Error::ReservedBits { .. })),
                    "{}.{}",
                    c.short,
                    m.name
                );
            }
            for f in m.fields {
                if f.values.is_empty() || f.values.len() as u64 == 1u64 << f.width() {
                    continue;
                }
                let unnamed = (0..=f.value_mask())
                    .find(|v| f.value_name(*v).is_none())
                    .unwrap();
                let r = typed(c.id, m.offset, f.put(unnamed).unwrap()).unwrap();
                assert!(
                    matches!(r, Err(Error::UnknownEnumValue { .. })),
                    "{}.{}.{}",
                    c.short,
                    m.name,
                    f.name
                );
            }
        }
    }
}

#[test]
fn compute_qmd_offsets_agree_with_tables() {
    use nvbare_driver::push::decode::compute_offsets as o;
    for &c in ALL.iter().filter(|c| c.kind == class::ClassKind::Compute) {
        let at = |off| class::lookup(c, off).map(|(m, i)| (m.name, i));
        assert_eq!(at(o::SEND_PCAS_A), Some(("SEND_PCAS_A", 0)), "{}", c.short);
        assert_eq!(
            at(o::SET_INLINE_QMD_ADDRESS_A),
            Some(("SET_INLINE_QMD_ADDRESS_A", 0)),
            "{}",
            c.short
        );
        assert_eq!(
            at(o::SET_INLINE_QMD_ADDRESS_B),
            Some(("SET_INLINE_QMD_ADDRESS_B", 0)),
            "{}",
            c.short
        );
        assert_eq!(
            at(o::LOAD_INLINE_QMD_DATA),
            Some(("LOAD_INLINE_QMD_DATA", 0)),
            "{}",
            c.short
        );
    }
}

#[test]
fn tables_are_sorted_and_fields_disjoint() {
    for &c in ALL.iter() {
        assert!(
            c.methods
                .windows(2)
                .all(|w| w[0].offset + w[0].count * w[0].stride <= w[1].offset),
            "{}",
            c.short
        );
        for m in c.methods {
            let mut seen = 0u32;
            for f in m.fields {
                assert!(f.hi >= f.lo && f.hi < 32);
                let mask = f.value_mask() << f.lo;
                assert_eq!(seen & mask, 0, "{}.{}.{} overlaps", c.short, m.name, f.name);
                seen |= mask;
                assert!(f.values.windows(2).all(|w| w[0].value < w[1].value));
            }
        }
    }
}

fn any_case() -> impl Strategy<Value = (usize, usize, u32, Vec<u32>)> {
    (
        0..ALL.len(),
        any::<usize>(),
        any::<u32>(),
        proptest::collection::vec(any::<u32>(), 32),
    )
        .prop_map(|(ci, mi, idx, raw)| {
            let c = ALL[ci];
            let mi = mi % c.methods.len();
            (ci, mi, idx, raw)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_field_values_round_trip((ci, mi, idx, raw) in any_case()) {
        let c = ALL[ci];
        let m = &c.methods[mi];
        let index = idx % m.count;
        let vals: Vec<u32> = m.fields.iter().zip(&raw).map(|(f, &r)| field_value(f, r)).collect();
        check_case(c, m, index, &vals);
    }
}
