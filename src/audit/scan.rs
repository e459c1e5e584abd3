//! `audit` on one line: walk every key and value of an event, run the content
//! detectors of [`super::rules`] and the rules that need the schema (exact
//! numbers in bucketed fields, free text in enumerated ones, `anonymous_id`),
//! and tally the fields that could fingerprint an installation.

use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHashSet, FxHasher};
use serde::Serialize;

use super::LineKind;
use super::json::{Json, ParseError};
use super::rules::{self, Hit, Rule};
use super::schema::{self, EventFamily, FieldSpec, FieldType};

/// Where in the line a finding sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    /// In a value.
    Value,
    /// In an object key.
    Key,
    /// Somewhere in a line that is not valid JSON.
    Line,
}

/// One privacy finding. It never holds the sensitive value: only where it is,
/// which rule matched and a redacted form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// 1-based line number.
    pub line: u64,
    /// The event type, or a placeholder when it is missing or unsafe to print.
    pub event: String,
    /// The field path (`metadata.tools[2]`); keys unsafe to print are replaced by `<key: N chars>`.
    pub field: String,
    /// Whether the match is in a value, a key or an unparsable line.
    pub location: Location,
    /// The rule that matched.
    #[serde(serialize_with = "serialize_rule")]
    pub rule: Rule,
    /// A form safe to print (`gh**_****… (40 chars)`).
    pub redacted: String,
}

fn serialize_rule<S: serde::Serializer>(rule: &Rule, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(rule.id())
}

/// Counts the installations (distinct `anonymous_id`s) behind each combination
/// of platform, Python version and JMo version. Mergeable across chunks.
#[derive(Debug, Default, Clone)]
pub struct FingerprintTally {
    combos: FxHashMap<String, FxHashSet<u128>>,
    key: String,
}

/// What the fingerprint tally says: counts only, never a combination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FingerprintSummary {
    /// The threshold k (`--min-installations`).
    pub min_installations: usize,
    /// Distinct (platform, python_version, version) combinations.
    pub combinations: usize,
    /// Combinations shared by fewer than k installations.
    pub rare_combinations: usize,
    /// Distinct installations seen.
    pub installations: usize,
    /// Installations that appear in at least one rare combination.
    pub installations_in_rare_combinations: usize,
}

impl FingerprintTally {
    /// Records one usage event.
    pub fn record(
        &mut self,
        platform: &str,
        python_version: &str,
        version: &str,
        anonymous_id: &str,
    ) {
        let id = schema::uuid_value(anonymous_id).unwrap_or_else(|| {
            let mut h = FxHasher::default();
            anonymous_id.hash(&mut h);
            u128::from(h.finish()) | 1 << 100
        });
        self.key.clear();
        for (i, part) in [platform, python_version, version].into_iter().enumerate() {
            if i > 0 {
                self.key.push('\u{1f}');
            }
            self.key.push_str(part);
        }
        if let Some(ids) = self.combos.get_mut(self.key.as_str()) {
            ids.insert(id);
        } else {
            self.combos
                .insert(self.key.clone(), FxHashSet::from_iter([id]));
        }
    }

    /// Adds the tally of another chunk.
    pub fn merge(&mut self, other: FingerprintTally) {
        for (key, ids) in other.combos {
            self.combos.entry(key).or_default().extend(ids);
        }
    }

    /// The counts for threshold `min_installations` (k).
    pub fn summary(&self, min_installations: usize) -> FingerprintSummary {
        let mut all = FxHashSet::default();
        let mut rare = FxHashSet::default();
        let mut rare_combinations = 0;
        for ids in self.combos.values() {
            all.extend(ids.iter().copied());
            if ids.len() < min_installations {
                rare_combinations += 1;
                rare.extend(ids.iter().copied());
            }
        }
        FingerprintSummary {
            min_installations,
            combinations: self.combos.len(),
            rare_combinations,
            installations: all.len(),
            installations_in_rare_combinations: rare.len(),
        }
    }
}

/// One step of a field path.
#[derive(Clone, Copy)]
pub(crate) enum Seg<'a> {
    /// The whole line, when it is not an object (`$`).
    Root,
    Key(&'a str),
    /// A key that is data by where it sits (a name keying an object under
    /// `users`, a key of a counts object that names no count): shown only
    /// by its length, whatever it says (`metadata.users.jdoe.duration_ms`
    /// printed `jdoe`).
    Named(&'a str),
    Index(usize),
}

/// A field path as a list linked through the stack: no allocation while walking.
#[derive(Clone, Copy)]
pub(crate) struct Path<'p> {
    pub(crate) parent: Option<&'p Path<'p>>,
    pub(crate) seg: Seg<'p>,
}

/// A step of a path as the walker's render cache compares it: a key by
/// where its text is (the keys borrow from one parsed line, which outlives
/// the walk of it), an index by value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SegId {
    Root,
    Key(usize, usize),
    Named(usize, usize),
    Index(usize),
}

impl SegId {
    fn of(seg: &Seg<'_>) -> SegId {
        match seg {
            Seg::Root => SegId::Root,
            Seg::Key(k) => SegId::Key(k.as_ptr() as usize, k.len()),
            Seg::Named(k) => SegId::Named(k.as_ptr() as usize, k.len()),
            Seg::Index(i) => SegId::Index(*i),
        }
    }
}

/// Keys that are each shown can still spell a value together
/// (`metadata.192.168.1.100.duration_ms`, `jenkins.corp.acme.com`): every run
/// of 2 to `WINDOW` of them is read as one text, for what dots join (an
/// address or a host name; a file name too would mask `config.key`), and
/// every key of a run that spells one is shown as `<key: N chars>`.
const WINDOW: usize = 8;
/// A path deeper than this many keys (only hostile lines have one) is shown
/// as its first key, how many keys follow and the list positions after the
/// last: 120 keys of 63 characters copied into each of 40,000 findings took
/// 385 MB.
const DEEP: usize = 16;

/// Renders paths (`metadata.tools[2]`, unsafe keys as `<key: N chars>`; see
/// [`WINDOW`] and [`DEEP`]) and keeps, for the last path rendered, each key's
/// label and which keys were masked once the runs ending at it were read:
/// the next path shares its first steps (the items of a list, the keys of
/// one object: 50,000 sibling keys under 14 took 12 s when each path was
/// read whole), so only its new keys are read.
#[derive(Default)]
struct PathRenderer {
    /// The steps of the last path rendered.
    ids: Vec<SegId>,
    /// Per key of it: its step's position, its label, and the keys masked
    /// after the runs ending at it.
    keys: Vec<(usize, String, Vec<bool>)>,
}

impl PathRenderer {
    fn render(&mut self, segs: &[Seg<'_>]) -> String {
        let texts: Vec<&str> = segs
            .iter()
            .filter_map(|seg| match seg {
                Seg::Key(k) | Seg::Named(k) => Some(*k),
                _ => None,
            })
            .collect();
        if texts.len() > DEEP {
            let first = match segs
                .iter()
                .find(|seg| matches!(seg, Seg::Key(_) | Seg::Named(_)))
            {
                Some(Seg::Key(k)) => safe_label(k, "key"),
                _ => crate::render::text::by_length("key", texts[0]),
            };
            let mut out = format!("{first}.<{} keys>", texts.len() - 1);
            let last_key = segs
                .iter()
                .rposition(|seg| matches!(seg, Seg::Key(_) | Seg::Named(_)));
            for seg in &segs[last_key.map_or(0, |i| i + 1)..] {
                if let Seg::Index(i) = seg {
                    out.push_str(&format!("[{i}]"));
                }
            }
            return out;
        }
        let ids: Vec<SegId> = segs.iter().map(SegId::of).collect();
        let same = self
            .ids
            .iter()
            .zip(&ids)
            .take_while(|(a, b)| a == b)
            .count();
        self.keys.retain(|(pos, _, _)| *pos < same);
        self.ids = ids;
        for (pos, seg) in segs.iter().enumerate().skip(same) {
            let (key, label) = match seg {
                Seg::Key(k) => (*k, safe_label(k, "key")),
                Seg::Named(k) => (*k, crate::render::text::by_length("key", k)),
                _ => continue,
            };
            let j = self.keys.len();
            let mut masked = self.keys.last().map_or_else(Vec::new, |k| k.2.clone());
            masked.push(false);
            // The runs of keys each shown that end at this one.
            let shown = |i: usize| match self.keys.get(i) {
                Some((_, label, _)) => label == texts[i],
                None => label == *key,
            };
            // A masked key before this one may be part of a match that
            // runs on (a code host's match takes the labels after it:
            // `gitlab.internal.acme`; a review found `acme` printed).
            let continues = j > 0 && (masked[j - 1] || rules::may_continue_host(texts[j - 1], key));
            if shown(j) && continues {
                for i in (j.saturating_sub(WINDOW - 1)..j).rev() {
                    if !shown(i) {
                        break;
                    }
                    let text = texts[i..=j].join(".");
                    let found = [
                        rules::ipv4(&text),
                        rules::hostname(&text),
                        rules::repo_host(&text),
                    ];
                    for m in found.into_iter().flatten() {
                        let from = m.as_ptr() as usize - text.as_ptr() as usize;
                        let to = from + m.len();
                        let mut at = 0;
                        for (k, key) in texts[i..=j].iter().enumerate() {
                            if at < to && from < at + key.len() {
                                masked[i + k] = true;
                            }
                            at += key.len() + 1;
                        }
                    }
                }
            }
            self.keys.push((pos, label, masked));
        }
        let masked = self.keys.last().map_or(&[][..], |k| &k.2[..]);
        let mut out = String::new();
        let mut key = 0;
        for seg in segs {
            match seg {
                Seg::Root => out.push('$'),
                Seg::Key(k) | Seg::Named(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    if masked[key] {
                        out.push_str(&crate::render::text::by_length("key", k));
                    } else {
                        out.push_str(&self.keys[key].1);
                    }
                    key += 1;
                }
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }
}

impl Path<'_> {
    /// The steps from the root down.
    fn segments(&self) -> Vec<Seg<'_>> {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            segs.push(p.seg);
            cur = p.parent;
        }
        segs.reverse();
        segs
    }

    /// The path as printed (see [`PathRenderer`]).
    pub(crate) fn render(&self) -> String {
        PathRenderer::default().render(&self.segments())
    }

    fn depth(&self) -> usize {
        1 + self.parent.map_or(0, Path::depth)
    }
}

/// `s` itself when it is a short label no rule objects to, else `<what: N chars>`.
/// A UUID is shown only when it is a random v4 one: a v1 UUID holds a MAC
/// address and a time.
pub fn safe_label(s: &str, what: &str) -> String {
    let mut hits = Vec::new();
    if !s.is_empty() && rules::is_label(s) {
        rules::scan_text(s, &mut hits);
        let revealing_uuid = super::schema::is_uuid(s) && rules::anonymous_id_problem(s).is_some();
        if hits.is_empty() && !rules::is_env_name(s) && !revealing_uuid {
            return s.to_owned();
        }
    }
    crate::render::text::by_length(what, s)
}

/// The event type as shown in findings and problems.
pub fn event_label(event: Option<&Json<'_>>) -> String {
    match event {
        Some(Json::Str(s)) => safe_label(s, "event"),
        Some(other) => format!("<{}>", other.type_name()),
        None => "-".to_owned(),
    }
}

struct Walker<'a, 'o> {
    line: u64,
    event: Option<&'a Json<'a>>,
    /// Every string and key but a free-text field (`message`) must be a
    /// label: in every event, test events and the marker too (a test
    /// event's extra `"user": "alice"` passed unseen); not in a line that is
    /// no object.
    labels: bool,
    out: &'o mut Vec<Finding>,
    hits: Vec<Hit>,
    /// What the last path rendered left to the next ([`PathRenderer`]),
    /// and the event label: the items of one list (40,000 in a hostile
    /// line) share them, and a path is read again by several rules.
    paths: PathRenderer,
    event_shown: Option<String>,
    /// Inside an object the schema does not describe whose field's name
    /// is one of never-collected data (`"user": {"name": "jdoe"}`).
    under_sensitive: bool,
    /// The keys of the object about to be walked are data by where they
    /// sit: it is under a field named for never-collected data, or where
    /// the schema has a value (a number, a label, text). They are shown by
    /// their length ([`Seg::Named`]), whatever they say: a name can be any
    /// word (`Max`, `config`, `secrets`; a review).
    names_here: bool,
    /// Below such a key, or a key of a counts object that names no count:
    /// keys are shown by their length but for those made of field words
    /// ([`rules::is_field_word`]: `name`, `count`, `duration_ms`).
    names_as_keys: bool,
    /// Inside an object the schema does not describe whose field's name
    /// measures something (`"duration_ms": {"trivy": 437123}`): its numbers
    /// are exact measures (a review).
    under_measure: bool,
}

const COUNT: FieldSpec = FieldSpec {
    name: "",
    ty: FieldType::Count,
    required: false,
    nullable: false,
};

impl<'a> Walker<'a, '_> {
    fn push(&mut self, path: &Path<'_>, location: Location, rule: Rule, redacted: String) {
        let field = self.paths.render(&path.segments());
        let event = self
            .event_shown
            .get_or_insert_with(|| event_label(self.event))
            .clone();
        self.out.push(Finding {
            line: self.line,
            event,
            field,
            location,
            rule,
            redacted,
        });
    }

    fn flush_hits(&mut self, path: &Path<'_>, location: Location) {
        let hits = std::mem::take(&mut self.hits);
        for hit in &hits {
            self.push(path, location, hit.rule, hit.redacted.clone());
        }
        self.hits = hits;
        self.hits.clear();
    }

    /// Walks the members of an object whose fields are described by `fields`
    /// (`None`: not described).
    fn object(
        &mut self,
        pairs: &'a [(std::borrow::Cow<'a, str>, Json<'a>)],
        parent: Option<&Path<'_>>,
        fields: Option<&'static [FieldSpec]>,
        counts: Option<&'static [&'static str]>,
    ) {
        let here = std::mem::take(&mut self.names_here);
        for (key, value) in pairs {
            let unknown_count = counts.is_some_and(|keys| !keys.contains(&key.as_ref()));
            let named = unknown_count || here || self.names_as_keys && !rules::is_field_word(key);
            let path = Path {
                parent,
                seg: if named {
                    Seg::Named(key)
                } else {
                    Seg::Key(key)
                },
            };
            let found = self.out.len();
            self.key(key, &path);
            // A counts object's keys are counts; another key in it is a
            // field the schema does not have (`"duration_ms": 437123` passed
            // as a count).
            let spec = if let Some(keys) = counts {
                keys.contains(&key.as_ref()).then_some(&COUNT)
            } else {
                fields.and_then(|f| f.iter().find(|s| s.name == key.as_ref()))
            };
            let outer = self.names_as_keys;
            self.names_as_keys |= named;
            // A name says nothing of what it keys: `jdoe-user` holds no user
            // field, `timesheet-db` no measure (a key of a counts object that
            // names no count is read as the field it may be).
            let field = if named && !unknown_count && !rules::is_shape_key(key) {
                ""
            } else {
                key
            };
            self.value(value, &path, spec, field);
            self.names_as_keys = outer;
            // A key no other rule flagged that is data where it sits, said
            // at the object, by its length, not at its own path, which would
            // show it (reviews): a key no count has, in the promise's only
            // place for counts (`{"company-backend": 1}`); below a field
            // named for never-collected data, a name keying a number or a
            // yes/no (`"users": {"jdoe": 1}`), not a word of a value's shape
            // (`"error": {"type": …}`).
            let at_object = if unknown_count {
                Some((Rule::FreeText, "<a key that names no count>"))
            } else if named && self.under_sensitive && !rules::is_shape_key(key) {
                Some((
                    Rule::SensitiveField,
                    "<a key under a field named for never-collected data>",
                ))
            } else {
                None
            };
            if let Some((rule, what)) = at_object
                && self.out.len() == found
                && let Some(parent) = parent
            {
                self.push(parent, Location::Key, rule, rules::redact(what, key));
            }
        }
    }

    fn key(&mut self, key: &str, path: &Path<'_>) {
        rules::scan_text(key, &mut self.hits);
        if rules::is_env_name(key) && !self.hits.iter().any(|h| h.rule == Rule::EnvDump) {
            self.hits.push(Hit {
                rule: Rule::EnvDump,
                redacted: rules::redact("****", key),
            });
        }
        if self.labels && self.hits.is_empty() && !rules::is_label(key) {
            self.hits.push(Hit {
                rule: Rule::FreeText,
                redacted: free_text(key),
            });
        }
        self.flush_hits(path, Location::Key);
    }

    fn value(
        &mut self,
        value: &'a Json<'a>,
        path: &Path<'_>,
        spec: Option<&'static FieldSpec>,
        key: &str,
    ) {
        let ty = spec.map(|s| s.ty);
        if path.depth() == 1 && key == "anonymous_id" && !matches!(value, Json::Str(_) | Json::Null)
        {
            self.push(
                path,
                Location::Value,
                Rule::AnonymousId,
                format!("<{}>", value.type_name()),
            );
        }
        // Where the schema has a value (a number, a yes/no, a label, text),
        // an object is data the promise does not allow (`"repos":
        // {"company-backend": 3}`, `"tools": {"acme-web": true}`: its keys
        // are names, which every content rule lets pass).
        if let (Json::Object(pairs), Some(t)) = (value, ty)
            && !is_object(t)
            && t != FieldType::AnyObject
        {
            self.push(
                path,
                Location::Value,
                Rule::FreeText,
                format!(
                    "<object of {} keys where the schema has {}>",
                    pairs.len(),
                    what(t)
                ),
            );
        }
        match value {
            Json::Object(pairs) => match ty {
                Some(FieldType::Object(fields)) => {
                    self.object(pairs, Some(path), Some(fields), None)
                }
                Some(FieldType::Counts(keys)) => self.object(pairs, Some(path), None, Some(keys)),
                Some(t) => {
                    // Where the schema has a value, not fields, an
                    // object's keys are values too.
                    self.names_here = t != FieldType::AnyObject;
                    self.object(pairs, Some(path), None, None);
                }
                // `target_types` where the schema does not describe it (in
                // another event, an unknown one, a test event): still the
                // promise's place for counts, read as in `scan.started` (a
                // review: `{"company-backend": 2}` passed there).
                None if key == "target_types" => {
                    self.object(pairs, Some(path), None, Some(schema::TARGET_TYPES))
                }
                None => {
                    let outer = (self.under_sensitive, self.under_measure);
                    let sensitive = rules::is_sensitive_key(key);
                    self.under_sensitive |= sensitive;
                    self.under_measure |= rules::is_measure_key(key);
                    self.names_here = sensitive;
                    self.object(pairs, Some(path), None, None);
                    (self.under_sensitive, self.under_measure) = outer;
                }
            },
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let item_path = Path {
                        parent: Some(path),
                        seg: Seg::Index(i),
                    };
                    self.value(item, &item_path, spec, key);
                }
            }
            Json::Str(s) => self.string(s, path, ty, key),
            Json::Int(_) | Json::Float(_) => {
                // A bucketed field, or a field the schema does not know whose
                // name says it measures something.
                let exact = match ty {
                    Some(FieldType::Bucket(_)) => true,
                    Some(_) => false,
                    None => rules::is_measure_key(key) || self.under_measure,
                };
                if exact {
                    self.push(
                        path,
                        Location::Value,
                        Rule::ExactNumber,
                        "<number>".to_owned(),
                    );
                }
            }
            Json::Null | Json::Bool(_) => {}
        }
    }

    fn string(&mut self, s: &str, path: &Path<'_>, ty: Option<FieldType>, key: &str) {
        rules::scan_text(s, &mut self.hits);
        let top_level = path.depth() == 1;
        if top_level && key == "anonymous_id" {
            if let Some(problem) = rules::anonymous_id_problem(s) {
                self.hits.push(Hit {
                    rule: Rule::AnonymousId,
                    redacted: rules::redact(problem, s),
                });
            }
        } else if top_level && key == "timestamp" || ty == Some(FieldType::Text) {
            // Free text allowed (test events, the marker) or checked by `validate`.
        } else if let Some(t) = ty.filter(|t| scalar(*t) || is_object(*t)) {
            // A name where the schema has a number or a yes/no (`"repos":
            // "company-backend"`, the guide's "only counts"): a short label
            // every content rule lets pass. A number or a yes/no written as
            // text is that number.
            let as_text = rules::is_exact_number_text(s) || s == "true" || s == "false";
            if self.hits.is_empty() && !as_text {
                self.hits.push(Hit {
                    rule: Rule::FreeText,
                    redacted: rules::redact(
                        &format!("<string where the schema has {}>", what(t)),
                        s,
                    ),
                });
            }
        } else if let Some(FieldType::Bucket(allowed)) = ty {
            if !allowed.contains(&s) && self.hits.is_empty() {
                if rules::is_exact_number_text(s) {
                    self.hits.push(Hit {
                        rule: Rule::ExactNumber,
                        redacted: rules::redact("<number as text>", s),
                    });
                } else if !rules::is_label(s) {
                    self.hits.push(Hit {
                        rule: Rule::FreeText,
                        redacted: free_text(s),
                    });
                }
            }
        } else if self.hits.is_empty() {
            if ty.is_none()
                && rules::is_exact_number_text(s)
                && (rules::is_measure_key(key) || self.under_measure)
                && !rules::is_bucket_boundary(key, s)
            {
                self.hits.push(Hit {
                    rule: Rule::ExactNumber,
                    redacted: rules::redact("<number as text>", s),
                });
            } else if self.labels && !rules::is_label(s) {
                self.hits.push(Hit {
                    rule: Rule::FreeText,
                    redacted: free_text(s),
                });
            }
        }
        // A field the schema does not have, named for never-collected data:
        // `"repo_name": "company-backend"` is a short label that every
        // content rule lets pass. Strings only: a number under such a name
        // is a count (`"repos": 2` in a line that is an array, read without
        // the schema), and a measure is `exact-number`'s.
        if self.hits.is_empty()
            && ty.is_none()
            && !s.is_empty()
            && (self.under_sensitive && !rules::is_shape_key(key) || rules::is_sensitive_key(key))
        {
            self.hits.push(Hit {
                rule: Rule::SensitiveField,
                redacted: rules::redact("<string>", s),
            });
        }
        self.flush_hits(path, Location::Value);
    }
}

/// The text of a line that is not JSON with its JSON string escapes read
/// (`\u0040` is `@`, `\/` is `/`, a surrogate pair one character, a lone
/// surrogate U+FFFD), so that the rules see what a reader would: an e-mail
/// or a URL written with escapes in a cut-off line was missed.
pub(crate) fn unescape(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.contains('\\') {
        return std::borrow::Cow::Borrowed(line);
    }
    let hex4 = |s: &str| {
        s.get(..4)
            .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
            .and_then(|h| u16::from_str_radix(h, 16).ok())
    };
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let mut chars = after.chars();
        let (text, used): (Option<char>, usize) = match chars.next() {
            Some('u') => match hex4(&after[1..]) {
                Some(hi @ 0xd800..=0xdbff) => match after[5..].strip_prefix("\\u").and_then(hex4) {
                    Some(lo @ 0xdc00..=0xdfff) => {
                        let c =
                            0x10000 + ((u32::from(hi) - 0xd800) << 10) + (u32::from(lo) - 0xdc00);
                        (char::from_u32(c), 11)
                    }
                    _ => (Some('\u{fffd}'), 5),
                },
                Some(unit) => (
                    Some(char::from_u32(u32::from(unit)).unwrap_or('\u{fffd}')),
                    5,
                ),
                None => (None, 0),
            },
            Some('n') => (Some('\n'), 1),
            Some('t') => (Some('\t'), 1),
            Some('r') => (Some('\r'), 1),
            Some('b') | Some('f') => (Some(' '), 1),
            Some(c @ ('/' | '\\' | '"')) => (Some(c), 1),
            _ => (None, 0),
        };
        match text {
            Some(c) => out.push(c),
            None => out.push('\\'),
        }
        rest = &after[used..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// GitHub's own error answers a client wrote into the gist, word for word
/// (`{"message": "Bad credentials", "documentation_url":
/// "https://docs.github.com/rest", "status": "401"}`): no client data, so
/// no finding (a review: every generated file failed the audit on them). A
/// message beyond these (a rate limit's names the client's IP address), a
/// key beyond the three, or a link elsewhere is audited as any line.
const GITHUB_ERROR_MESSAGES: [&str; 6] = [
    "Bad credentials",
    "Not Found",
    "Requires authentication",
    "Validation Failed",
    "Server Error",
    "Forbidden",
];

/// Whether `json` is one of GitHub's error answers ([`GITHUB_ERROR_MESSAGES`]).
fn is_github_error_answer(json: &Json<'_>) -> bool {
    let Json::Object(pairs) = json else {
        return false;
    };
    let docs = |url: &str| {
        url.strip_prefix("https://docs.github.com/")
            .is_some_and(|rest| {
                rest.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"/#-_.".contains(&b))
            })
    };
    let status = |s: &str| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit());
    let mut has_message = false;
    pairs
        .iter()
        .all(|(key, value)| match (key.as_ref(), value) {
            ("message", Json::Str(m)) => {
                has_message = true;
                GITHUB_ERROR_MESSAGES.contains(&m.as_ref())
            }
            ("documentation_url", Json::Str(url)) => docs(url),
            ("status", Json::Str(s)) => status(s),
            _ => false,
        })
        && has_message
}

/// Whether the schema's type is a number or a yes/no: a string or an object
/// there holds what the promise does not allow.
fn scalar(ty: FieldType) -> bool {
    matches!(ty, FieldType::Int | FieldType::Count | FieldType::Bool)
}

/// A scalar type in words, for a finding.
fn what(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Bool => "a yes/no",
        FieldType::Count => "a count",
        FieldType::Counts(_) => "an object of counts",
        FieldType::Object(_) | FieldType::AnyObject => "an object",
        FieldType::Int => "a number",
        FieldType::Label => "a label",
        FieldType::Enum(_) => "one of a set of values",
        FieldType::Bucket(_) => "a bucket",
        FieldType::LabelList => "a list of labels",
        FieldType::Uuid => "a UUID",
        FieldType::Timestamp => "a timestamp",
        FieldType::Text => "text",
    }
}

/// An object the schema describes: a string in its place is a name
/// (`"target_types": "company-backend"`), as where it has a number.
fn is_object(ty: FieldType) -> bool {
    matches!(ty, FieldType::Counts(_) | FieldType::Object(_))
}

fn free_text(s: &str) -> String {
    let words = s.split_whitespace().count();
    let noun = if words == 1 { "word" } else { "words" };
    rules::redact(&format!("<text, {words} {noun}>"), s)
}

/// Strips what line `line_no` may carry besides its JSON: a UTF-8 byte-order
/// mark on the first line (as `summary` and `fetch` read a file: one
/// further down is a character of its line) and a trailing `\r`. Returns
/// `None` for a blank line.
pub fn trim_line(line_no: u64, line: &str) -> Option<&str> {
    let line = match line_no {
        1 => line.strip_prefix('\u{feff}').unwrap_or(line),
        _ => line,
    };
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    (!crate::source::is_blank(line.as_bytes())).then_some(line)
}

/// The finding for a line this audit cannot read as JSON but `summary`
/// counts as an event: `summary` skips the fields it does not know without
/// reading them in full, so one of them can hold what no other reader need
/// accept (a number out of range, `1e400`; an unpaired surrogate; nesting
/// deeper than serde_json's 128) while the rest of the line (a `repo_name`,
/// a UUID v1) reaches the published counts unchecked. A review made such a
/// line pass the audit. What `err` says is a syntax error's kind, never a
/// value.
fn unreadable(line: &str, err: &ParseError) -> Hit {
    let why = err.reason(line);
    Hit {
        rule: Rule::Unreadable,
        redacted: format!("JSON this audit cannot read ({why}): its fields were not checked"),
    }
}

/// The finding of a line longer than [`crate::event::ingest::MAX_LINE`],
/// skipped unread: its content is unchecked, so the audit cannot pass it.
pub fn too_long(line_no: u64, bytes: u64) -> Finding {
    Finding {
        line: line_no,
        event: "-".to_owned(),
        field: "(unparsed line)".to_owned(),
        location: Location::Line,
        rule: Rule::Unreadable,
        redacted: format!(
            "a line {}, so not checked",
            crate::event::ingest::too_long_reason(bytes, crate::event::ingest::MAX_LINE)
        ),
    }
}

/// Audits one line: pushes its findings to `out` and its common fields to `fp`.
///
/// A line that is not JSON is still searched as text (its findings have
/// location [`Location::Line`]), since a broken line can leak as well as any.
pub fn audit_line(
    line_no: u64,
    line: &str,
    utf8: bool,
    out: &mut Vec<Finding>,
    fp: &mut FingerprintTally,
) -> LineKind {
    let Some(line) = trim_line(line_no, line) else {
        return LineKind::Blank;
    };
    let json = match Json::parse(line) {
        Ok(json) => json,
        Err(err) => {
            let mut hits = Vec::new();
            rules::scan_text(&unescape(line), &mut hits);
            // `summary` skips a line that is not UTF-8, whatever its
            // repaired text would read as (a review).
            let event = match crate::event::parse::parse_line(line) {
                crate::event::parse::Parsed::Event(event) if utf8 => Some(event),
                _ => None,
            };
            if let Some(event) = &event {
                hits.push(unreadable(line, &err));
                // Counted as `summary` counts it: an event, and its
                // installation in the fingerprint.
                let c = &event.common;
                if event.class() == crate::event::EventClass::Usage
                    && let Some(id) = c.anonymous_id.as_deref()
                {
                    fp.record(
                        c.platform.as_deref().unwrap_or(""),
                        c.python_version.as_deref().unwrap_or(""),
                        c.version.as_deref().unwrap_or(""),
                        id,
                    );
                }
            }
            for hit in hits {
                out.push(Finding {
                    line: line_no,
                    event: "-".to_owned(),
                    field: "(unparsed line)".to_owned(),
                    location: Location::Line,
                    rule: hit.rule,
                    redacted: hit.redacted,
                });
            }
            // A JSON object of too many values is one, as a line of fewer
            // is, whether `summary` counts it or not (a review); not when
            // its text was repaired from bytes that are not UTF-8.
            let object = utf8 && matches!(err, ParseError::TooManyValues { object: true });
            return if event.is_some() || object {
                LineKind::Event
            } else {
                LineKind::Invalid
            };
        }
    };
    if is_github_error_answer(&json) {
        // GitHub's words, not a client's (`validate` reports the line);
        // counted as every JSON object line is.
        return LineKind::Event;
    }
    let event = json.get("event");
    let event_name = event.and_then(Json::as_str);
    let spec = event_name.and_then(schema::event_spec);
    let family = spec.map_or(EventFamily::Usage, |s| s.family);
    let mut walker = Walker {
        line: line_no,
        event,
        labels: true,
        out,
        hits: Vec::new(),
        paths: PathRenderer::default(),
        names_as_keys: false,
        names_here: false,
        under_measure: false,
        event_shown: None,
        under_sensitive: false,
    };
    match &json {
        Json::Object(pairs) => {
            let fields = spec.map_or(schema::UNKNOWN_USAGE_FIELDS, |s| s.fields);
            walker.object(pairs, None, Some(fields), None);
            // A line that is not UTF-8 is searched as its repaired text,
            // but is no event, as for `summary` and `validate` (a review:
            // it was counted as one, and its installation in the
            // fingerprint).
            if !utf8 {
                return LineKind::Invalid;
            }
            if family == EventFamily::Usage
                && let Some(id) = json.get("anonymous_id").and_then(Json::as_str)
            {
                let text = |k: &str| json.get(k).and_then(Json::as_str).unwrap_or("");
                fp.record(
                    text("platform"),
                    text("python_version"),
                    text("version"),
                    id,
                );
            }
        }
        other => {
            // Not an event: only the content rules apply (`validate` reports the line).
            walker.labels = false;
            let root = Path {
                parent: None,
                seg: Seg::Root,
            };
            match other {
                // An event wrapped in a list is read by its event's fields, as
                // it would be alone (a review: its `duration_seconds` was an
                // exact number by the name alone, the same event unwrapped
                // passing).
                Json::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let path = Path {
                            parent: Some(&root),
                            seg: Seg::Index(i),
                        };
                        let fields = (item.get("event").and_then(Json::as_str))
                            .and_then(schema::event_spec)
                            .map(|spec| spec.fields);
                        match (item, fields) {
                            (Json::Object(pairs), Some(fields)) => {
                                walker.object(pairs, Some(&path), Some(fields), None)
                            }
                            _ => walker.value(item, &path, None, ""),
                        }
                    }
                }
                _ => walker.value(other, &root, None, ""),
            }
            // Not an event; `validate` reports it.
            return LineKind::Invalid;
        }
    }
    LineKind::Event
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit(line: &str) -> Vec<(String, Location, &'static str, String)> {
        let mut out = Vec::new();
        let mut fp = FingerprintTally::default();
        audit_line(7, line, true, &mut out, &mut fp);
        out.into_iter()
            .map(|f| (f.field, f.location, f.rule.id(), f.redacted))
            .collect()
    }

    /// A line that is not UTF-8 is no event, and its installation is not
    /// counted, though its repaired text is still searched (a review: it
    /// was an event, and in the fingerprint).
    #[test]
    fn a_line_that_is_not_utf8_is_searched_but_no_event() {
        let leaky = CLEAN.replace("Linux", "/home/jdoe/\u{fffd}x");
        for utf8 in [true, false] {
            let (mut out, mut fp) = (Vec::new(), FingerprintTally::default());
            let kind = audit_line(7, &leaky, utf8, &mut out, &mut fp);
            let want = if utf8 {
                LineKind::Event
            } else {
                LineKind::Invalid
            };
            assert_eq!(kind, want);
            assert_eq!(fp.summary(1).installations, usize::from(utf8));
            assert!(!out.is_empty(), "the path is found either way");
        }
    }

    const CLEAN: &str = r#"{"event": "scan.started", "version": "0.7.0-dev", "platform": "Linux", "python_version": "3.11", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c", "timestamp": "2025-11-19T14:32:00.173975+00:00", "metadata": {"mode": "cli", "profile": "balanced", "tools": ["trivy", "osv-scanner", "afl++", "trufflehog"], "target_types": {"repos": 1, "images": 0, "urls": 0, "iac": 0, "gitlab": 0, "k8s": 0}, "ci_detected": false, "multi_target_scan": false, "compliance_usage": true, "total_targets_bucket": "11-50", "scan_frequency_hint": null}}"#;

    #[test]
    fn clean_event_has_no_findings() {
        assert_eq!(audit(CLEAN), vec![]);
    }

    #[test]
    fn findings_in_lists_nested_objects_and_keys() {
        let line = r#"{"event": "scan.started", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c", "metadata": {"tools": ["trivy", "/home/jdoe/bin/scan"], "extra": {"alice@example.com": true}}}"#;
        assert_eq!(
            audit(line),
            vec![
                (
                    "metadata.tools[1]".into(),
                    Location::Value,
                    "posix-path",
                    "/***/… (19 chars)".into()
                ),
                (
                    "metadata.tools[1]".into(),
                    Location::Value,
                    "home-user",
                    "home directory of **** (10 chars)".into()
                ),
                (
                    "metadata.extra.<key: 17 chars>".into(),
                    Location::Key,
                    "email",
                    "***@*** (17 chars)".into()
                ),
            ]
        );
    }

    #[test]
    fn buckets_hold_no_exact_numbers() {
        let line = r#"{"event": "scan.completed", "metadata": {"duration_bucket": 437, "total_findings_bucket": "12", "duration_ms": 90, "profile": "my own profile"}}"#;
        assert_eq!(
            audit(line),
            vec![
                (
                    "metadata.duration_bucket".into(),
                    Location::Value,
                    "exact-number",
                    "<number>".into()
                ),
                (
                    "metadata.total_findings_bucket".into(),
                    Location::Value,
                    "exact-number",
                    "<number as text> (2 chars)".into()
                ),
                (
                    "metadata.duration_ms".into(),
                    Location::Value,
                    "exact-number",
                    "<number>".into()
                ),
                (
                    "metadata.profile".into(),
                    Location::Value,
                    "free-text",
                    "<text, 3 words> (14 chars)".into()
                ),
            ]
        );
    }

    #[test]
    fn lines_that_are_not_objects_get_only_the_content_rules() {
        let line = r#"[{"timestamp": "2025-11-19T14:32:00+00:00", "metadata": {"total_findings_bucket": "0", "x": "10.0.0.1", "profile": "two words"}}]"#;
        assert_eq!(
            audit(line),
            vec![(
                "$[0].metadata.x".into(),
                Location::Value,
                "ipv4",
                "*.*.*.* (8 chars)".into()
            )]
        );
    }

    #[test]
    fn unknown_bucket_fields_may_hold_zero_and_one() {
        let line = r#"{"event": "diff.generated", "metadata": {"new_findings_bucket": "0", "resolved_findings_bucket": "1", "fixed_findings_bucket": "57", "profile": "équipe"}}"#;
        assert_eq!(
            audit(line),
            vec![(
                "metadata.fixed_findings_bucket".into(),
                Location::Value,
                "exact-number",
                "<number as text> (2 chars)".into()
            )]
        );
    }

    #[test]
    fn the_marker_and_test_events_may_hold_text() {
        let marker = r#"{"event": "telemetry.initialized", "timestamp": "2025-10-19T00:00:00Z", "message": "JMo Security Telemetry Backend"}"#;
        assert_eq!(audit(marker), vec![]);
        let test = r#"{"event": "test.event", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c", "metadata": {"message": "Test telemetry event from CLI"}}"#;
        assert_eq!(audit(test), vec![]);
    }

    #[test]
    fn unparsable_lines_are_searched_as_text() {
        assert_eq!(
            audit(r#"{"event": "scan.started", "x": "10.0.0.7""#),
            vec![(
                "(unparsed line)".into(),
                Location::Line,
                "ipv4",
                "*.*.*.* (8 chars)".into()
            )]
        );
    }

    #[test]
    fn an_unparsed_lines_escapes_are_read() {
        assert_eq!(unescape(r"no escape"), "no escape");
        assert_eq!(
            unescape(r#"a\u0040b.example \/srv\/x \"q\" \\ \ud83d\ude80 \ud800z \udc00 \x \u12"#),
            "a@b.example /srv/x \"q\" \\ 🚀 \u{fffd}z \u{fffd} \\x \\u12"
        );
        let rules: Vec<&str> = audit(r#"{"x": "carol\u0040corp.example https:\/\/acme.dev\/x""#)
            .iter()
            .map(|f| f.2)
            .collect();
        assert_eq!(rules, ["email", "url"]);
    }

    #[test]
    fn keys_that_spell_an_address_together_are_not_shown() {
        let fields = |line: &str| -> Vec<String> { audit(line).into_iter().map(|f| f.0).collect() };
        assert_eq!(
            fields(
                r#"{"event": "scan.started", "metadata": {"10": {"20": {"30": {"41": {"duration_ms": 5}}}}}}"#
            ),
            ["metadata.<key: 2 chars>.<key: 2 chars>.<key: 2 chars>.<key: 2 chars>.duration_ms"]
        );
        assert_eq!(
            fields(
                r#"{"event": "scan.started", "metadata": {"ci": {"jenkins": {"corp": {"internal": {"elapsed": 5}}}}}}"#
            ),
            // The keys under the host name are masked, `metadata` with
            // them: `metadata.ci.jenkins.corp.internal` is one too.
            ["<key: 8 chars>.<key: 2 chars>.<key: 7 chars>.<key: 4 chars>.<key: 8 chars>.elapsed"]
        );
        // A v1 UUID holds a MAC address: as a key or an event type too.
        let v1 = "f47ac10b-58cc-11ef-8c3a-0242ac120002";
        let line = format!(r#"{{"event": "{v1}", "metadata": {{"{v1}": {{"elapsed": 5}}}}}}"#);
        let mut out = Vec::new();
        audit_line(1, &line, true, &mut out, &mut FingerprintTally::default());
        assert_eq!(out[0].event, "<event: 36 chars>");
        assert_eq!(out[0].field, "metadata.<key: 36 chars>.elapsed");
        // The first key of such a run too (a review: `10.20.30.<key>`, and
        // `$[0].192.168.1.<key>` in a line that is a list).
        assert_eq!(
            fields(
                r#"{"event": "scan.started", "metadata": {"mode": "cli"}, "10.20.30": {"41": {"duration_ms": 5}}}"#
            ),
            ["<key: 8 chars>.<key: 2 chars>.duration_ms"]
        );
        assert_eq!(
            fields(r#"[{"192.168.1": {"100": {"elapsed_ms": 5}}}]"#),
            ["$[0].<key: 9 chars>.<key: 3 chars>.elapsed_ms"]
        );
        // Each path is judged by its own keys: the walker keeps what the
        // keys it shares with the path before decided, not what later keys
        // of that path did (`10.20.30.41` masks four keys, `10.20.30.4x`
        // beside it none).
        assert_eq!(
            fields(
                r#"{"event": "scan.started", "metadata": {"10": {"20": {"30": {"41": {"x": "a b"}, "4x": {"y": "a b", "z": "c d"}}}}}}"#
            ),
            [
                "metadata.<key: 2 chars>.<key: 2 chars>.<key: 2 chars>.<key: 2 chars>.x",
                "metadata.10.20.30.4x.y",
                "metadata.10.20.30.4x.z"
            ]
        );
        // A code host's match runs on over the labels after it, as it does
        // in a value (`gitlab.internal.acme.x`).
        assert_eq!(
            fields(
                r#"{"event": "scan.started", "metadata": {"gitlab": {"internal": {"acme": {"x": "a b"}}}}}"#
            ),
            ["<key: 8 chars>.<key: 6 chars>.<key: 8 chars>.<key: 4 chars>.<key: 1 char>"]
        );
        // A name of another script spread over keys is masked as an ASCII
        // one is (a review: `metadata.timings.сервер.рф.duration_ms`).
        assert_eq!(
            fields(
                r#"{"event": "scan.started", "metadata": {"timings": {"\u0441\u0435\u0440\u0432\u0435\u0440": {"\u0440\u0444": {"x": "a b"}}}}}"#
            ),
            ["<key: 8 chars>.<key: 7 chars>.<key: 6 chars>.<key: 2 chars>.x"]
        );
        // A path deeper than 16 keys is not copied into each finding.
        let mut deep = String::from(r#"{"event": "scan.started", "metadata": "#);
        for _ in 0..20 {
            deep.push_str(r#"{"k": "#);
        }
        deep.push_str(r#"["a b", "c d"]"#);
        deep.push_str(&"}".repeat(21));
        assert_eq!(
            fields(&deep),
            ["metadata.<20 keys>[0]", "metadata.<20 keys>[1]"]
        );
        // Keys that join into nothing stay; so does a file name's one key.
        assert_eq!(
            fields(
                r#"{"event": "scan.paused", "metadata": {"config": [{"key": "AKIAJ5Q7HZXW3EXAMPLE"}]}}"#
            ),
            // (`config` is named for never-collected data: a key right below
            // it is shown by its length.)
            ["metadata.config[0].<key: 3 chars>"]
        );
    }

    /// A name where the schema has a count or a yes/no, or as a key of a
    /// counts object, passed every rule: a short label (a review: the
    /// guide's "no repository names, only counts per target type").
    #[test]
    fn names_where_the_schema_has_counts_are_flagged() {
        let with = |from: &str, to: &str| CLEAN.replace(from, to);
        let cases = [
            (
                with(r#""repos": 1"#, r#""repos": "company-backend""#),
                "metadata.target_types.repos",
                Location::Value,
                "<string where the schema has a count> (15 chars)",
            ),
            (
                with(r#""repos": 1"#, r#""repos": {"company-backend": 3}"#),
                "metadata.target_types.repos",
                Location::Value,
                "<object of 1 keys where the schema has a count>",
            ),
            (
                with(r#""repos": 1"#, r#""company-backend": 1"#),
                "metadata.target_types",
                Location::Key,
                "<a key that names no count> (15 chars)",
            ),
            (
                with(
                    r#""ci_detected": false"#,
                    r#""ci_detected": "jenkins-prod""#,
                ),
                "metadata.ci_detected",
                Location::Value,
                "<string where the schema has a yes/no> (12 chars)",
            ),
        ];
        for (line, field, location, redacted) in cases {
            assert_eq!(
                audit(&line),
                vec![(field.to_owned(), location, "free-text", redacted.to_owned())],
                "{line}"
            );
        }
        // A count or a yes/no written as text is that count: no finding.
        for (from, to) in [
            (r#""repos": 1"#, r#""repos": "3""#),
            (r#""ci_detected": false"#, r#""ci_detected": "false""#),
        ] {
            assert_eq!(audit(&with(from, to)), vec![]);
        }
    }

    #[test]
    fn keys_that_are_data_by_where_they_sit_are_shown_by_length() {
        let with = |from: &str, to: &str| CLEAN.replace(from, to);
        let fields = |line: &str| -> Vec<String> {
            audit(line).into_iter().map(|(field, ..)| field).collect()
        };
        // Under a field named for never-collected data, where the schema
        // has a count, and under a counts object's key that names no
        // count: a name keys the object, and every finding below it showed
        // the name (`metadata.users.jdoe.duration_ms`).
        let cases = [
            (
                with(
                    r#""ci_detected": false"#,
                    r#""ci_detected": false, "users": {"jdoe": {"duration_ms": 437123}}"#,
                ),
                "metadata.users.<key: 4 chars>.duration_ms",
            ),
            (
                with(
                    r#""repos": 1"#,
                    r#""repos": {"company-backend": {"duration_ms": 437123}}"#,
                ),
                "metadata.target_types.repos.<key: 15 chars>.duration_ms",
            ),
            (
                with(
                    r#""repos": 1"#,
                    r#""repos": 1, "company-backend": {"acme-web": {"duration_ms": 437123}}"#,
                ),
                "metadata.target_types.<key: 15 chars>.<key: 8 chars>.duration_ms",
            ),
            (
                with(
                    r#""ci_detected": false"#,
                    r#""ci_detected": {"jenkins-prod": {"duration_ms": 1}}"#,
                ),
                "metadata.ci_detected.<key: 12 chars>.duration_ms",
            ),
        ];
        for (line, field) in cases {
            let found = fields(&line);
            assert!(found.iter().any(|f| f == field), "{line}: {found:?}");
            for name in ["jdoe", "company-backend", "acme-web", "jenkins-prod"] {
                assert!(found.iter().all(|f| !f.contains(name)), "{line}: {found:?}");
            }
        }
        // A second review: names holding a field word among others, plural
        // never-collected words, an object where the schema has free text.
        let cases = [
            (
                r#""users": {"jdoe-user": {"duration_ms": 437123}}"#,
                "metadata.users.<key: 9 chars>.duration_ms",
                "jdoe",
            ),
            (
                r#""repos_scanned": {"accounts-service": {"duration_ms": 5}}"#,
                "metadata.repos_scanned.<key: 16 chars>.duration_ms",
                "accounts",
            ),
            (
                r#""hosts": {"timesheet-db": {"uptime_ms": 5}}"#,
                "metadata.hosts.<key: 12 chars>.uptime_ms",
                "timesheet",
            ),
            (
                r#""owners": {"jdoe": {"duration_ms": 5}}"#,
                "metadata.owners.<key: 4 chars>.duration_ms",
                "jdoe",
            ),
            (
                r#""servers": {"db-prod-3": {"uptime_ms": 5}}"#,
                "metadata.servers.<key: 9 chars>.uptime_ms",
                "db-prod",
            ),
        ];
        for (field, want, name) in cases {
            let line = with(
                r#""ci_detected": false"#,
                &format!(r#""ci_detected": false, {field}"#),
            );
            let found = fields(&line);
            assert!(found.iter().any(|f| f == want), "{line}: {found:?}");
            assert!(found.iter().all(|f| !f.contains(name)), "{line}: {found:?}");
        }
        let text = r#"{"event": "test.event", "timestamp": "2025-11-19T14:32:00+00:00", "metadata": {"message": {"jdoe": {"duration_ms": 5}}}}"#;
        assert_eq!(
            fields(text),
            [
                "metadata.message",
                "metadata.message.<key: 4 chars>.duration_ms"
            ]
        );
        // A name keying a number or a yes/no below such a field is said at
        // the object, by its length; a name where the schema has an object.
        for (field, want) in [
            (
                r#""users": {"jdoe": 1}"#,
                (
                    "metadata.users",
                    Location::Key,
                    "sensitive-field",
                    "<a key under a field named for never-collected data> (4 chars)",
                ),
            ),
            (
                r#""hosts": {"mallory-pc": {"up": true}}"#,
                (
                    "metadata.hosts",
                    Location::Key,
                    "sensitive-field",
                    "<a key under a field named for never-collected data> (10 chars)",
                ),
            ),
        ] {
            let line = with(
                r#""ci_detected": false"#,
                &format!(r#""ci_detected": false, {field}"#),
            );
            let (f, l, r, x) = want;
            assert_eq!(
                audit(&line),
                vec![(f.to_owned(), l, r, x.to_owned())],
                "{line}"
            );
        }
        for (to, redacted) in [
            (
                r#""target_types": "company-backend""#,
                "<string where the schema has an object of counts> (15 chars)",
            ),
            (
                r#""target_types": ["company-backend"]"#,
                "<string where the schema has an object of counts> (15 chars)",
            ),
        ] {
            let line = CLEAN.replace(r#""target_types": {"repos": 1, "images": 0, "urls": 0, "iac": 0, "gitlab": 0, "k8s": 0}"#, to);
            let found = audit(&line);
            assert_eq!(found.len(), 1, "{line}: {found:?}");
            assert_eq!(
                (found[0].2, found[0].3.as_str()),
                ("free-text", redacted),
                "{line}"
            );
        }
        // A second review: a key right below such a field is a name
        // whatever it says (`Max`, `config`, `mail-server`); below a key of
        // `target_types` naming no target type, though it is a field word.
        for (field, want) in [
            (
                r#""users": {"Max": {"duration_ms": 5}}"#,
                "metadata.users.<key: 3 chars>.duration_ms",
            ),
            (
                r#""repos_seen": {"config": {"duration_ms": 5}}"#,
                "metadata.repos_seen.<key: 6 chars>.duration_ms",
            ),
            (
                r#""hosts": {"file-server": {"uptime_ms": 5}}"#,
                "metadata.hosts.<key: 11 chars>.uptime_ms",
            ),
        ] {
            let line = with(
                r#""ci_detected": false"#,
                &format!(r#""ci_detected": false, {field}"#),
            );
            assert_eq!(fields(&line), [want], "{line}");
        }
        // `target_types` in an event whose schema does not have it.
        for event in ["scan.completed", "scan.cancelled"] {
            let line = format!(
                r#"{{"event": "{event}", "metadata": {{"target_types": {{"company-backend": 2}}}}}}"#
            );
            let found = audit(&line);
            assert_eq!(
                found,
                vec![(
                    "metadata.target_types".to_owned(),
                    Location::Key,
                    "free-text",
                    "<a key that names no count> (15 chars)".to_owned()
                )],
                "{line}"
            );
        }
        let line = with(
            r#""repos": 1"#,
            r#""repos": 1, "name": {"jdoe": {"duration_ms": 1}}"#,
        );
        assert_eq!(
            fields(&line),
            ["metadata.target_types.<key: 4 chars>.<key: 4 chars>.duration_ms"]
        );
        for field in [
            r#""hosts": {"mail-server": true}"#,
            r#""users": {"Max": 1}"#,
        ] {
            let line = with(
                r#""ci_detected": false"#,
                &format!(r#""ci_detected": false, {field}"#),
            );
            let found = audit(&line);
            assert_eq!(found.len(), 1, "{line}: {found:?}");
            assert_eq!(
                (found[0].2, found[0].1),
                ("sensitive-field", Location::Key),
                "{line}"
            );
        }
        // Numbers in an object named for a measure are exact measures: per
        // tool, per severity (a review: exit 0).
        for field in [
            r#""findings": {"trivy": 12, "semgrep": 437}"#,
            r#""duration_ms": {"trivy": 437123}"#,
            r#""tool_durations": {"trivy": "437123"}"#,
        ] {
            let line = with(
                r#""ci_detected": false"#,
                &format!(r#""ci_detected": false, {field}"#),
            );
            let found = audit(&line);
            assert!(
                !found.is_empty() && found.iter().all(|f| f.2 == "exact-number"),
                "{line}: {found:?}"
            );
        }
        // An object where the schema has a label, a list or a bucket: its
        // keys are names (a review: exit 0).
        for (from, to) in [
            (
                r#""profile": "balanced""#,
                r#""profile": {"company-backend": 1}"#,
            ),
            (
                r#""tools": ["trivy", "osv-scanner", "afl++", "trufflehog"]"#,
                r#""tools": {"acme-web": true}"#,
            ),
            (
                r#""total_targets_bucket": "11-50""#,
                r#""total_targets_bucket": {"company-backend": "11-50"}"#,
            ),
        ] {
            let line = with(from, to);
            let found = audit(&line);
            assert_eq!(found.len(), 1, "{line}: {found:?}");
            assert_eq!(found[0].2, "free-text", "{line}");
            assert!(
                found[0]
                    .3
                    .starts_with("<object of 1 keys where the schema has "),
                "{found:?}"
            );
        }
        // A word of a value's shape or measure below a name is shown.
        let shape = with(
            r#""ci_detected": false"#,
            r#""ci_detected": false, "users": {"jdoe": {"login_count": 5}}"#,
        );
        let found = fields(&shape);
        assert!(
            found
                .iter()
                .any(|f| f == "metadata.users.<key: 4 chars>.login_count"),
            "{found:?}"
        );
    }

    #[test]
    fn githubs_own_error_answers_are_not_findings() {
        let answer = r#"{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}"#;
        assert_eq!(audit(answer), vec![]);
        assert_eq!(audit(r#"{"message": "Not Found"}"#), vec![]);
        // Anything else in that shape is audited.
        for other in [
            answer.replace("Bad credentials", "Bad credentials for jdoe@example.com"),
            answer.replace("docs.github.com/rest", "docs.github.com.evil.example/x"),
            answer.replace(r#""401""#, r#""401", "user": "jdoe""#),
            answer.replace(
                r#""status": "401""#,
                r#""status": "4o1 see https://x.example""#,
            ),
        ] {
            assert!(!audit(&other).is_empty(), "{other}");
        }
    }

    /// An event wrapped in a list is read by its event's fields (a review:
    /// its `duration_seconds` was flagged, the same event alone passing),
    /// and what the content rules find in it is still found.
    #[test]
    fn an_event_wrapped_in_a_list_is_read_by_its_fields() {
        let event = r#"{"event": "wizard.completed", "version": "1.0.0", "anonymous_id": "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3c", "timestamp": "2026-01-02T10:00:00Z", "metadata": {"profile_selected": "fast", "execution_mode": "docker", "duration_seconds": 437, "artifact_generated": "makefile"}}"#;
        assert_eq!(audit(event), vec![]);
        assert_eq!(audit(&format!("[{event}]")), vec![]);
        let leak = event.replace(r#""fast""#, r#""jdoe@example.com""#);
        assert_eq!(
            audit(&format!("[{leak}, 3]")),
            vec![(
                "$[0].metadata.profile_selected".to_owned(),
                Location::Value,
                "email",
                "***@*** (16 chars)".to_owned()
            )]
        );
        // A list of other things keeps the content rules alone.
        assert_eq!(audit(r#"[{"duration_ms": "x"}]"#).len(), 0);
    }

    #[test]
    fn fields_named_for_never_collected_data_are_flagged() {
        let line = r#"{"event": "scan.started", "metadata": {"mode": "cli", "repo_name": "company-backend", "branchName": "main", "user": "jdoe", "password": "hunter2", "api-key": "k7", "GitToken": "abc", "items": ["a"], "source": "cli", "docker_variant": "slim", "userless": null}}"#;
        let found: Vec<(String, &str)> = audit(line).into_iter().map(|f| (f.0, f.2)).collect();
        let sensitive: Vec<&str> = found
            .iter()
            .filter(|f| f.1 == "sensitive-field")
            .map(|f| f.0.as_str())
            .collect();
        assert_eq!(
            sensitive,
            [
                "metadata.repo_name",
                "metadata.branchName",
                "metadata.user",
                "metadata.password",
                "metadata.api-key",
                "metadata.GitToken"
            ]
        );
        assert_eq!(found.len(), sensitive.len(), "{found:?}");
        // The schema's own fields are not judged by their names.
        assert_eq!(audit(CLEAN), vec![]);
        for key in [
            "error_type",
            "host_os",
            "user_count_bucket",
            "source",
            "docker_variant",
            "target_types",
            "new_findings_bucket",
            "format",
        ] {
            assert!(!rules::is_sensitive_key(key), "{key}");
        }
        // Keys named for a value's shape, not the value (a review's unknown
        // event `scan.cancelled`): no finding.
        let shapes = r#"{"event": "scan.cancelled", "metadata": {"error_type": "timeout", "errors": 0, "host_os": "linux", "path_count_bucket": "1-10", "session_bucket": "<5min", "user_count_bucket": "1", "url_scheme": "https", "error": {"type": "timeout"}}}"#;
        assert_eq!(audit(shapes), vec![]);
        // Not `code`, `hint` or `reason`: they hold the thing (a review).
        let things = r#"{"event": "scan.started", "metadata": {"auth_code": "482913", "auth": {"code": "482913"}, "password_hint": "rex", "error_reason": "x"}}"#;
        assert_eq!(audit(things).len(), 4, "{:?}", audit(things));
        // A sensitive field whose value is an object: the strings inside.
        let nested = r#"{"event": "scan.started", "metadata": {"user": {"name": "jdoe"}, "repository": {"name": "company-backend", "stars": 3}}}"#;
        let found: Vec<(String, &str)> = audit(nested).into_iter().map(|f| (f.0, f.2)).collect();
        assert_eq!(
            found,
            [
                (
                    "metadata.user.<key: 4 chars>".to_string(),
                    "sensitive-field"
                ),
                (
                    "metadata.repository.<key: 4 chars>".to_string(),
                    "sensitive-field"
                ),
                // `stars` keys a number below `repository`: not a field
                // word, so possibly a name, said at the object.
                ("metadata.repository".to_string(), "sensitive-field")
            ]
        );
        for key in [
            "DBPassword",
            "IPAddress",
            "URLPath",
            "GITBranch",
            "HTTPHost",
            "RepoName",
            "git_branch",
            "user.email",
            "AWS_SECRET",
            "homeDir",
            "clientApiKey",
            // The guide's list (a review: these passed).
            "suppression_rules",
            "exclusion_patterns",
            "finding_details",
            "vulnerability",
            "config_value",
            "identifier",
            "project_name",
            "org",
            "workdir",
            "args",
            "pass",
        ] {
            assert!(rules::is_sensitive_key(key), "{key}");
        }
        // A value's shape under those words stays a shape.
        for key in [
            "suppressions_used",
            "config_type",
            "finding_count",
            "project_count",
        ] {
            assert!(!rules::is_sensitive_key(key), "{key}");
        }
    }

    #[test]
    fn an_anonymous_id_that_is_no_string_and_counts_objects_foreign_keys() {
        let found = |line: &str| -> Vec<(String, &str, String)> {
            audit(line).into_iter().map(|f| (f.0, f.2, f.3)).collect()
        };
        assert_eq!(
            found(r#"{"event": "scan.started", "anonymous_id": 4815162342}"#),
            [("anonymous_id".into(), "anonymous-id", "<integer>".into())]
        );
        assert_eq!(
            found(r#"{"event": "scan.started", "anonymous_id": null}"#),
            []
        );
        // Only the six target types are counts; another key is a field the
        // schema does not have.
        assert_eq!(
            found(
                r#"{"event": "scan.started", "metadata": {"target_types": {"repos": 1, "duration_ms": 437123, "owner": "jdoe"}}}"#
            ),
            [
                (
                    "metadata.target_types.<key: 11 chars>".into(),
                    "exact-number",
                    "<number>".into()
                ),
                (
                    "metadata.target_types.<key: 5 chars>".into(),
                    "sensitive-field",
                    "<string> (4 chars)".into()
                )
            ]
        );
    }

    #[test]
    fn fingerprint_counts_installations_per_combination() {
        let mut fp = FingerprintTally::default();
        for (i, platform) in ["Linux", "Linux", "Linux", "Darwin"].iter().enumerate() {
            let id = format!("a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3{i}");
            fp.record(platform, "3.11", "0.7.0", &id);
            fp.record(platform, "3.11", "0.7.0", &id);
        }
        let mut other = FingerprintTally::default();
        other.record(
            "Linux",
            "3.11",
            "0.7.0",
            "a7f3c8e2-4b1d-4f9e-8c3a-2d5e7f9b1a3f",
        );
        fp.merge(other);
        assert_eq!(
            fp.summary(4),
            FingerprintSummary {
                min_installations: 4,
                combinations: 2,
                rare_combinations: 1,
                installations: 5,
                installations_in_rare_combinations: 1
            }
        );
    }

    /// A line `summary` counts whose unknown field holds JSON serde_json
    /// refuses: the audit says its fields went unchecked (a review's line,
    /// with a `repo_name` and a UUID v1, passed with exit 0). A line that is
    /// no event gets only the text rules, as before.
    #[test]
    fn an_event_the_audit_cannot_read_is_a_finding() {
        let base = CLEAN.strip_suffix("}}").unwrap();
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        // Its values past the most a line may hold are not read (a review:
        // a tree of 16 MiB of `{}` took 3.1 GB); its text is searched.
        let many = format!(
            "[{}\"/home/jdoe\"]",
            "{}, ".repeat(super::super::json::MAX_VALUES)
        );
        for (pad, why) in [
            ("1e400", "number out of range"),
            (r#""\ud800""#, "unpaired surrogate escape `\\ud800`"),
            (deep.as_str(), "recursion limit"),
            (many.as_str(), "more than 500,000 JSON values in one line"),
        ] {
            let line = format!(r#"{base}, "pad": {pad}}}}}"#);
            assert!(matches!(
                crate::event::parse::parse_line(&line),
                crate::event::parse::Parsed::Event(_)
            ));
            let found = audit(&line);
            let unreadable: Vec<_> = found.iter().filter(|f| f.2 == "unreadable").collect();
            assert_eq!(unreadable.len(), 1, "{pad}: {found:?}");
            assert_eq!(unreadable[0].0, "(unparsed line)");
            assert!(unreadable[0].3.contains(why), "{:?}", unreadable[0].3);
            assert!(unreadable[0].3.ends_with("its fields were not checked"));
            assert!(
                found.iter().any(|f| f.2 == "posix-path") == (pad == many),
                "{found:?}"
            );
            // An event, as `summary` counts it, in the fingerprint too.
            let mut fp = FingerprintTally::default();
            assert_eq!(
                audit_line(1, &line, true, &mut Vec::new(), &mut fp),
                LineKind::Event
            );
            assert_eq!(fp.summary(1).installations, 1);
            // The same text repaired from bytes that were not UTF-8:
            // `summary` skips that line, so it is no event here either.
            let mut found = Vec::new();
            assert_eq!(
                audit_line(
                    1,
                    &line,
                    false,
                    &mut found,
                    &mut FingerprintTally::default()
                ),
                LineKind::Invalid
            );
            assert!(found.iter().all(|f| f.rule != Rule::Unreadable));
        }
        for not_an_event in [r#"{"event": "scan.started", "version": 1e400"#, "[1e400]"] {
            assert!(
                audit(not_an_event).iter().all(|f| f.2 != "unreadable"),
                "{not_an_event}"
            );
        }
        // An object of too many values that is no event (no timestamp) is
        // a JSON object, as one of fewer values is; its text is searched.
        let no_event = format!(r#"{{"event": "scan.started", "x": {many}}}"#);
        let mut found = Vec::new();
        let kind = audit_line(
            1,
            &no_event,
            true,
            &mut found,
            &mut FingerprintTally::default(),
        );
        assert_eq!(kind, LineKind::Event);
        assert!(
            found.iter().all(|f| f.rule != Rule::Unreadable),
            "{found:?}"
        );
        assert!(
            found.iter().any(|f| f.rule.id() == "posix-path"),
            "{found:?}"
        );
    }
}
