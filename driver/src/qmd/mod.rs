//! Queue meta data (QMD): one module per version behind one trait.
