//! Generated class modules (scripts/gen/gen_classes.py); do not edit by hand.

pub mod c56f;
pub mod c86f;
pub mod c96f;
pub mod ca6f;
pub mod c6c0;
pub mod c7c0;
pub mod c9c0;
pub mod cbc0;
pub mod cdc0;
pub mod cec0;
pub mod c6b5;
pub mod c7b5;
pub mod c8b5;
pub mod c9b5;
pub mod cab5;

/// Every generated class descriptor.
pub static ALL: [&crate::class::ClassDesc; 15] = [
    &c56f::DESC,
    &c86f::DESC,
    &c96f::DESC,
    &ca6f::DESC,
    &c6c0::DESC,
    &c7c0::DESC,
    &c9c0::DESC,
    &cbc0::DESC,
    &cdc0::DESC,
    &cec0::DESC,
    &c6b5::DESC,
    &c7b5::DESC,
    &c8b5::DESC,
    &c9b5::DESC,
    &cab5::DESC,
];
