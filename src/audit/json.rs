//! A borrowed JSON value for the per-line checks.
//!
//! Strings and object keys point into the line when they hold no escape
//! sequence, objects are vectors of pairs (in file order, duplicates kept, so
//! `validate` can report them and `audit` sees every value): parsing a typical
//! event allocates a handful of small vectors and no strings. A line may hold
//! at most [`MAX_VALUES`] values, so that the tree stays bounded whatever the
//! line (see there).

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The most values (each string, number, `true`, `false`, `null`, array
/// and object counts one; a key is its value's) a line may hold to be
/// checked. Each takes 32 bytes in the tree, 56 as an object's member, and
/// up to 4 times that in a list or object of one item (room is made for 4
/// at the first) or twice that while one grows: a line of 64 MiB of `{}, `
/// held 22 million (a review: 3.1 GB for a line of 16 MiB). An event holds
/// about 40.
pub const MAX_VALUES: usize = 500_000;

/// Why a line could not be read as a [`Json`] tree.
#[derive(Debug)]
pub enum ParseError {
    /// Not JSON (serde_json's error).
    Json(serde_json::Error),
    /// JSON of more than [`MAX_VALUES`] values, not read further; whether
    /// it is an object, as a line of fewer would be read.
    TooManyValues {
        /// The line is a JSON object.
        object: bool,
    },
}

impl ParseError {
    /// The reason, for a problem or a finding: serde_json's error as
    /// [`strip_position`](crate::event::parse::strip_position) says it.
    pub fn reason(&self, line: &str) -> String {
        match self {
            ParseError::Json(err) => crate::event::parse::strip_position(err, line, ""),
            ParseError::TooManyValues { .. } => too_many_values(),
        }
    }
}

/// The reason given for a line of more than [`MAX_VALUES`] values.
pub fn too_many_values() -> String {
    format!(
        "more than {} JSON values in one line, where an event holds about 40",
        crate::report::thousands(MAX_VALUES as u64)
    )
}

/// One JSON value, borrowing from the line it was parsed from.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number without fraction or exponent.
    Int(i128),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// An array.
    Array(Vec<Json<'a>>),
    /// An object: its pairs in file order, duplicate keys kept.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    /// Parses one line of JSON text of at most [`MAX_VALUES`] values.
    pub fn parse(text: &'a str) -> Result<Json<'a>, ParseError> {
        let budget = Budget {
            left: Cell::new(MAX_VALUES),
            exceeded: Cell::new(false),
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let parsed = Seed(&budget)
            .deserialize(&mut de)
            .and_then(|json| de.end().map(|()| json));
        match parsed {
            Ok(json) => Ok(json),
            // Too many values, if the rest is JSON as this parser reads it:
            // a line cut short is said to be not JSON, however many values
            // it holds, and so is one with `1e400`, an unpaired surrogate
            // or nesting past 128 (two reviews: serde_json's `IgnoredAny`
            // passes the last three). Read again, keeping nothing.
            Err(_) if budget.exceeded.get() => {
                let mut de = serde_json::Deserializer::from_str(text);
                match Check.deserialize(&mut de).and_then(|()| de.end()) {
                    Ok(()) => Err(ParseError::TooManyValues {
                        object: text.trim_start().starts_with('{'),
                    }),
                    Err(err) => Err(ParseError::Json(err)),
                }
            }
            Err(err) => Err(ParseError::Json(err)),
        }
    }

    /// The value of `key` when `self` is an object (the last one when the key repeats,
    /// as Python's `json.loads` and most readers do).
    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        match self {
            Json::Object(pairs) => pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string when `self` is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The JSON type name, for messages: `null`, `boolean`, `integer`, `number`,
    /// `string`, `array`, `object`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "boolean",
            Json::Int(_) => "integer",
            Json::Float(_) => "number",
            Json::Str(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
}

/// A string that borrows from the input when it can.
struct MaybeBorrowed<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for MaybeBorrowed<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = MaybeBorrowed<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(MaybeBorrowed(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(MaybeBorrowed(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(MaybeBorrowed(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

/// Reads a value as [`Seed`] does, with the same checks, keeping nothing.
#[derive(Clone, Copy)]
struct Check;

impl<'de> DeserializeSeed<'de> for Check {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Check {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }
}

/// The values a line may still hold.
struct Budget {
    left: Cell<usize>,
    exceeded: Cell<bool>,
}

/// Reads one value (and what it holds) within the [`Budget`].
#[derive(Clone, Copy)]
struct Seed<'b>(&'b Budget);

impl Seed<'_> {
    /// Counts one value, or fails once the budget is spent.
    fn take<E: de::Error>(self) -> Result<(), E> {
        match self.0.left.get().checked_sub(1) {
            Some(left) => {
                self.0.left.set(left);
                Ok(())
            }
            None => {
                self.0.exceeded.set(true);
                Err(E::custom("too many values"))
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Json<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.take()?;
        Ok(Json::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.take()?;
        Ok(Json::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.take()?;
        Ok(Json::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.take()?;
        Ok(Json::Int(i128::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.take()?;
        Ok(Json::Int(i128::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.take()?;
        Ok(Json::Float(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        self.take()?;
        Ok(Json::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.take()?;
        Ok(Json::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        self.take()?;
        Ok(Json::Str(Cow::Owned(v)))
    }
    // An array or object takes no room before its first item: an empty one
    // is its 32 bytes in its parent (a review: a capacity of 8 made each
    // `{}` of a long list take about 470 bytes).
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        self.take()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        self.take()?;
        let mut pairs = Vec::new();
        while let Some(MaybeBorrowed(key)) = map.next_key()? {
            let value = map.next_value_seed(self)?;
            pairs.push((key, value));
        }
        Ok(Json::Object(pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_without_escapes_borrow() {
        let v = Json::parse(r#"{"a": "plain", "b\u0041": "esc\n", "n": [1, -2, 2.5, null, true]}"#)
            .unwrap();
        let Json::Object(pairs) = &v else {
            panic!("object")
        };
        assert!(matches!(pairs[0].0, Cow::Borrowed("a")));
        assert!(matches!(pairs[0].1, Json::Str(Cow::Borrowed("plain"))));
        assert!(matches!(&pairs[1].0, Cow::Owned(k) if k == "bA"));
        assert_eq!(pairs[1].1, Json::Str(Cow::Owned("esc\n".into())));
        assert_eq!(
            pairs[2].1,
            Json::Array(vec![
                Json::Int(1),
                Json::Int(-2),
                Json::Float(2.5),
                Json::Null,
                Json::Bool(true)
            ])
        );
    }

    #[test]
    fn duplicate_keys_are_kept_and_the_last_wins() {
        let v = Json::parse(r#"{"k": 1, "k": 2}"#).unwrap();
        let Json::Object(pairs) = &v else {
            panic!("object")
        };
        assert_eq!(pairs.len(), 2);
        assert_eq!(v.get("k"), Some(&Json::Int(2)));
    }

    /// The line's object, its array and each item count one value; keys
    /// do not (each is its value's).
    #[test]
    fn a_line_of_more_values_than_the_most_is_not_read() {
        let line = |n: usize| format!(r#"{{"x": [{}]}}"#, vec!["{}"; n].join(", "));
        let most = line(MAX_VALUES - 2);
        let Ok(Json::Object(pairs)) = Json::parse(&most) else {
            panic!("the most values a line may hold are read");
        };
        assert!(matches!(&pairs[0].1, Json::Array(items) if items.len() == MAX_VALUES - 2));
        assert!(matches!(
            Json::parse(&line(MAX_VALUES - 1)),
            Err(ParseError::TooManyValues { object: true })
        ));
        let list = format!("[{}]", vec!["0"; MAX_VALUES].join(", "));
        assert!(matches!(
            Json::parse(&list),
            Err(ParseError::TooManyValues { object: false })
        ));
        // A line that is not JSON, as this parser reads it, is said to be
        // so, however many values it holds.
        let big = line(MAX_VALUES + 10);
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for tail in ["1e400", r#""\ud800""#, &deep] {
            let bad = format!("{}, {tail}]}}", &big[..big.len() - 2]);
            assert!(
                matches!(Json::parse(&bad), Err(ParseError::Json(e)) if e.is_syntax()),
                "{tail}"
            );
        }
        for n in [MAX_VALUES - 2, MAX_VALUES + 10] {
            let cut = line(n);
            assert!(
                matches!(Json::parse(&cut[..cut.len() - 1]), Err(ParseError::Json(e)) if e.is_eof()),
                "{n}"
            );
        }
        // An empty list or object takes no room beyond its place in its
        // parent (a review: each `{}` of a long list took about 470 bytes).
        let Ok(Json::Array(items)) = Json::parse("[{}, [], {\"a\": []}]") else {
            panic!("a list");
        };
        for item in &items {
            match item {
                Json::Object(pairs) if pairs.is_empty() => assert_eq!(pairs.capacity(), 0),
                Json::Array(items) => assert_eq!(items.capacity(), 0),
                Json::Object(pairs) => {
                    assert!(matches!(&pairs[0].1, Json::Array(a) if a.capacity() == 0))
                }
                _ => unreachable!(),
            }
        }
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        assert!(Json::parse(r#"{"a": 1} x"#).is_err());
        assert!(Json::parse(r#"{"a": 1"#).is_err());
    }
}
