//! Enums written as fixed text: a plan's section names and lock-rule ids are read from plan
//! files and written into run results as strings. [`text_enum!`] gives such an enum its list,
//! its text, `Display`, `FromStr`, comparison with `&str`, and serde as that text, so a name
//! that is not one of them fails where it is read (a plan: at its file, line and column).

/// A name that is not one of a fixed set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} \"{name}\", expected one of: {}", expected.join(", "))]
pub struct UnknownName {
    /// What was named, e.g. "section".
    pub what: &'static str,
    pub name: String,
    pub expected: &'static [&'static str],
}

/// `pub enum Name: "what" { Variant = "text", … }`: the enum with `ALL`, `NAMES`, `as_str`,
/// `Display` (padded), `Debug` (the quoted text), `FromStr` ([`UnknownName`]), `PartialEq<str>`
/// and serde as the text (an unknown name is serde's unknown-variant error).
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident: $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every value's text, in the same order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The text it is written as.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(self.as_str(), f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::plan::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| $crate::plan::UnknownName {
                    what: $what,
                    name: s.to_owned(),
                    expected: Self::NAMES,
                })
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Text;
                impl ::serde::de::Visitor<'_> for Text {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        write!(f, "a {} ({})", $what, $name::NAMES.join(", "))
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        v.parse().map_err(|_| E::unknown_variant(v, $name::NAMES))
                    }
                }
                deserializer.deserialize_str(Text)
            }
        }
    };
}

pub(super) use text_enum;
