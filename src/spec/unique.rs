//! Maps that refuse a key given twice. serde's derive already refuses a
//! repeated struct field; a map (`labels:`, `thresholds_by:`) would keep the
//! last value silently. The items of the spec's long lists are parsed by the
//! typed parse alone ([`super::split`]), so every map inside a dashboard or a
//! rule group reads through [`map`] (or [`map2`] when its values are maps).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, Error, MapAccess, Visitor};

/// A `BTreeMap` read with every key checked for repeats.
struct Unique<V>(BTreeMap<String, V>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Unique<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Keys<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Keys<V> {
            type Value = Unique<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(k) = m.next_key::<String>()? {
                    if out.contains_key(&k) {
                        return Err(A::Error::custom(format_args!("duplicate key `{k}`")));
                    }
                    let v = m.next_value()?;
                    out.insert(k, v);
                }
                Ok(Unique(out))
            }
        }
        d.deserialize_map(Keys(PhantomData))
    }
}

/// `#[serde(deserialize_with = "unique::map")]`: a map whose keys must differ.
pub fn map<'de, D: Deserializer<'de>, V: Deserialize<'de>>(d: D) -> Result<BTreeMap<String, V>, D::Error> {
    Unique::deserialize(d).map(|u| u.0)
}

/// [`map`] for a map of maps: the keys of each inner map must differ too.
pub fn map2<'de, D: Deserializer<'de>, V: Deserialize<'de>>(d: D) -> Result<BTreeMap<String, BTreeMap<String, V>>, D::Error> {
    let outer: Unique<Unique<V>> = Unique::deserialize(d)?;
    Ok(outer.0.into_iter().map(|(k, v)| (k, v.0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "map")]
        flat: BTreeMap<String, String>,
        #[serde(default, deserialize_with = "map2")]
        nested: BTreeMap<String, BTreeMap<String, f64>>,
    }

    fn parse(yaml: &str) -> Result<T, String> {
        serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn a_key_given_twice_is_refused_at_either_level() {
        let ok = parse("flat: {a: x, b: y}\nnested: {n: {a: 1, b: 2}, m: {a: 3}}\n").unwrap();
        assert_eq!(ok.flat.len(), 2);
        assert_eq!(ok.nested["n"]["b"], 2.0);
        for (yaml, key) in [
            ("flat:\n  a: x\n  a: y\n", "a"),
            ("nested:\n  n: {a: 1}\n  n: {b: 2}\n", "n"),
            ("nested:\n  n: {a: 1, b: 2, a: 3}\n", "a"),
        ] {
            let e = parse(yaml).unwrap_err();
            assert!(e.contains(&format!("duplicate key `{key}`")), "{yaml:?}: {e}");
        }
        // Not a mapping: the usual type error.
        assert!(parse("flat: [a]\n").unwrap_err().contains("expected a mapping"));
    }
}
