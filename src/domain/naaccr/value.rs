//! Item value rules: data type, length, padding and trimming (reference §1.4–1.5).

use std::borrow::Cow;

use super::dictionary::{DataType, ItemDef, Padding};

/// Why a value does not fit its item. Values are not repeated in messages (they may identify a patient).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// More characters than the item length.
    #[error("value is {actual} characters long; the item allows at most {length}")]
    TooLong {
        /// Item length.
        length: u32,
        /// Characters in the value.
        actual: usize,
    },
    /// Fewer characters than a full-length type (digits, alpha, mixed) requires.
    #[error("value is {actual} characters long; a {data_type} item must be exactly {length}")]
    TooShort {
        /// Item length.
        length: u32,
        /// Characters in the value.
        actual: usize,
        /// Item data type.
        data_type: DataType,
    },
    /// The value does not match the data type.
    #[error("value is not valid for data type {data_type}: expected {}", expectation(*.data_type))]
    WrongType {
        /// Item data type.
        data_type: DataType,
    },
    /// The value starts or ends with a space (NAACCR XML values are never blank-padded).
    #[error("value starts or ends with a space")]
    SurroundingSpace,
}

fn expectation(data_type: DataType) -> &'static str {
    match data_type {
        DataType::Text => "any text",
        DataType::Digits => "digits 0-9 only",
        DataType::Alpha => "capital letters A-Z only",
        DataType::Mixed => "capital letters A-Z and digits 0-9 only",
        DataType::Numeric => "an unsigned number such as 12 or 12.5",
        DataType::Date => "a real date CCYY, CCYYMM or CCYYMMDD with year 1800-2099",
        DataType::DateTime => "YYYY[-MM[-DD[Thh:mm:ss]]] with optional Z or +hh:mm/-hh:mm",
    }
}

/// Checks a value against its item's data type and length.
///
/// An empty value means "item absent" and passes. Leading/trailing spaces are errors unless the
/// item keeps spaces (`trim="none"`, e.g. `stateRequestorItems`). Dates must also be real calendar
/// dates (the reference regex alone would accept 20230231).
pub fn check_value(def: &ItemDef, value: &str) -> Result<(), ValueError> {
    if value.is_empty() {
        return Ok(());
    }
    if def.trim && (value.starts_with(' ') || value.ends_with(' ')) {
        return Err(ValueError::SurroundingSpace);
    }
    let actual = value.chars().count();
    let length = def.length;
    let too_long = actual > length as usize;
    if too_long && !(def.allow_unlimited_text && def.data_type == DataType::Text) {
        return Err(ValueError::TooLong { length, actual });
    }
    if def.data_type.requires_full_length() && actual < length as usize {
        return Err(ValueError::TooShort {
            length,
            actual,
            data_type: def.data_type,
        });
    }
    let ok = match def.data_type {
        DataType::Text => true,
        DataType::Digits => value.bytes().all(|b| b.is_ascii_digit()),
        DataType::Alpha => value.bytes().all(|b| b.is_ascii_uppercase()),
        DataType::Mixed => value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        DataType::Numeric => is_numeric(value),
        DataType::Date => is_naaccr_date(value),
        DataType::DateTime => is_fhir_date_time(value),
    };
    if ok {
        Ok(())
    } else {
        Err(ValueError::WrongType {
            data_type: def.data_type,
        })
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `^\d+(\.\d+)?$`
fn is_numeric(value: &str) -> bool {
    match value.split_once('.') {
        Some((whole, fraction)) => all_digits(whole) && all_digits(fraction),
        None => all_digits(value),
    }
}

fn two_digits(s: &str) -> Option<u32> {
    (s.len() == 2 && all_digits(s))
        .then(|| s.parse().ok())
        .flatten()
}

fn is_real_date(year: i32, month: u32, day: u32) -> bool {
    chrono::NaiveDate::from_ymd_opt(year, month, day).is_some()
}

/// CCYY, CCYYMM or CCYYMMDD, century 18/19/20, real month and day.
pub fn is_naaccr_date(value: &str) -> bool {
    if !all_digits(value) || !matches!(value.len(), 4 | 6 | 8) {
        return false;
    }
    let Some(year) = value.get(0..4).and_then(|y| y.parse::<i32>().ok()) else {
        return false;
    };
    if !(1800..=2099).contains(&year) {
        return false;
    }
    let Some(month) = value.get(4..6).map(two_digits) else {
        return true;
    };
    let Some(month) = month.filter(|m| (1..=12).contains(m)) else {
        return false;
    };
    match value.get(6..8).map(two_digits) {
        None => true,
        Some(Some(day)) => is_real_date(year, month, day),
        Some(None) => false,
    }
}

/// HL7 FHIR dateTime as NAACCR 1.8 allows it: `YYYY[-MM[-DD[Thh:mm:ss]]][Z|±hh:mm]`, no second fractions.
pub fn is_fhir_date_time(value: &str) -> bool {
    // Split off a zone: 'Z' or a trailing ±hh:mm (a '-' inside the date part is not a zone).
    let (body, zone) = if let Some(body) = value.strip_suffix('Z') {
        (body, Some("Z"))
    } else if value.len() > 6 && value.is_char_boundary(value.len() - 6) {
        let (head, tail) = value.split_at(value.len() - 6);
        if (tail.starts_with('+') || tail.starts_with('-')) && tail.as_bytes().get(3) == Some(&b':')
        {
            (head, Some(tail))
        } else {
            (value, None)
        }
    } else {
        (value, None)
    };
    if let Some(zone) = zone.filter(|z| *z != "Z") {
        let hours = zone.get(1..3).and_then(two_digits);
        let minutes = zone.get(4..6).and_then(two_digits);
        match (hours, minutes) {
            (Some(h), Some(m)) if (h < 14 && m < 60) || (h == 14 && m == 0) => {}
            _ => return false,
        }
    }
    let (date, time) = match body.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (body, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let year = match parts.first() {
        Some(y) if y.len() == 4 && all_digits(y) => y.parse::<i32>().unwrap_or(0),
        _ => return false,
    };
    let month = match parts.get(1) {
        None => None,
        Some(m) => match two_digits(m).filter(|m| (1..=12).contains(m)) {
            Some(m) => Some(m),
            None => return false,
        },
    };
    let day = match parts.get(2) {
        None => None,
        Some(d) => match (two_digits(d), month) {
            (Some(d), Some(m)) if is_real_date(year, m, d) => Some(d),
            _ => return false,
        },
    };
    if parts.len() > 3 || year == 0 {
        return false;
    }
    match time {
        None => true,
        Some(time) => {
            if day.is_none() {
                return false;
            }
            let t: Vec<&str> = time.split(':').collect();
            match t.as_slice() {
                [h, m, s] => matches!(
                    (two_digits(h), two_digits(m), two_digits(s)),
                    (Some(h), Some(m), Some(s)) if h < 24 && m < 60 && s <= 60
                ),
                _ => false,
            }
        }
    }
}

/// Applies zero padding for XML (`applyZeroPaddingRules`): a `leftZero` (or ≤1.6 `rightZero`) item
/// whose value is all digits and shorter than the item is filled with zeros; anything else is unchanged.
pub fn apply_zero_padding<'a>(def: &ItemDef, value: &'a str) -> Cow<'a, str> {
    let length = def.length as usize;
    if !all_digits(value) || value.len() >= length {
        return Cow::Borrowed(value);
    }
    let zeros = "0".repeat(length - value.len());
    match def.padding {
        Padding::LeftZero => Cow::Owned(zeros + value),
        Padding::RightZero => Cow::Owned(value.to_string() + &zeros),
        Padding::None | Padding::LeftBlank | Padding::RightBlank => Cow::Borrowed(value),
    }
}

/// Formats a value into its fixed-width flat field: blank padding always (`leftBlank` right-justifies,
/// the others left-justify), zero padding only when `zero_padding` is set (as in the reference library).
pub fn pad_flat_field(
    def: &ItemDef,
    value: &str,
    zero_padding: bool,
) -> Result<String, ValueError> {
    let length = def.length as usize;
    let actual = value.chars().count();
    if actual > length {
        return Err(ValueError::TooLong {
            length: def.length,
            actual,
        });
    }
    let value = if zero_padding {
        apply_zero_padding(def, value)
    } else {
        Cow::Borrowed(value)
    };
    let fill = " ".repeat(length - value.chars().count());
    Ok(match def.padding {
        Padding::LeftBlank => fill + &value,
        _ => value.into_owned() + &fill,
    })
}

/// Reads a flat field: trimmed of surrounding spaces unless the item says `trim="none"`.
pub fn read_flat_field<'a>(def: &ItemDef, raw: &'a str) -> &'a str {
    if def.trim { raw.trim_matches(' ') } else { raw }
}

/// Prepares text for XML: CR and CRLF become LF, other control characters (except tab) are dropped,
/// as the reference writer does by default.
pub fn normalize_text(value: &str) -> Cow<'_, str> {
    // Control characters are the bytes below 0x20, 0x7F, and U+0080–U+009F (0xC2 0x80–0x9F in
    // UTF-8): values without such bytes (nearly all) are checked byte by byte without decoding.
    let plain = |b: &u8| (*b >= 0x20 && *b != 0x7F && *b != 0xC2) || *b == b'\n' || *b == b'\t';
    if value.as_bytes().iter().all(plain)
        || !value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::naaccr::dictionary::{Dictionary, NaaccrVersion, UserDictionary};

    fn item(id: &str) -> &'static ItemDef {
        Dictionary::base(NaaccrVersion::V260).item(id).unwrap()
    }

    #[test]
    fn digits_need_full_length() {
        let accession = item("accessionNumberHosp"); // digits, 9
        assert_eq!(check_value(accession, "123456789"), Ok(()));
        assert_eq!(
            check_value(accession, "12345"),
            Err(ValueError::TooShort {
                length: 9,
                actual: 5,
                data_type: DataType::Digits
            })
        );
        assert_eq!(
            check_value(accession, "12345678A"),
            Err(ValueError::WrongType {
                data_type: DataType::Digits
            })
        );
        assert_eq!(
            check_value(accession, "1234567890"),
            Err(ValueError::TooLong {
                length: 9,
                actual: 10
            })
        );
    }

    #[test]
    fn alpha_mixed_numeric() {
        let state = item("addrAtDxState"); // alpha, 2
        assert_eq!(check_value(state, "PA"), Ok(()));
        assert!(check_value(state, "pa").is_err());
        assert!(check_value(state, "P1").is_err());
        let surgery = item("rxSummSurgPrimSite2023"); // mixed, 4
        assert_eq!(surgery.data_type, DataType::Mixed);
        assert_eq!(check_value(surgery, "A200"), Ok(()));
        assert!(check_value(surgery, "a200").is_err());
        let numeric = Dictionary::base(NaaccrVersion::V260)
            .items()
            .find(|i| i.data_type == DataType::Numeric && i.length >= 4)
            .unwrap();
        assert_eq!(check_value(numeric, "12"), Ok(()));
        assert_eq!(check_value(numeric, "1.5"), Ok(()));
        for bad in ["1.", ".5", "-1", "1e3", "1.2.3"] {
            assert!(check_value(numeric, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_are_partial_and_real() {
        let dx = item("dateOfDiagnosis");
        for good in ["2024", "202402", "20240229", "18000101", "20991231"] {
            assert_eq!(check_value(dx, good), Ok(()), "{good}");
        }
        for bad in [
            "99999999", "20241301", "20230229", "2024021", "17991231", "21000101", "202400",
            "20240200",
        ] {
            assert!(check_value(dx, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn date_times_follow_fhir() {
        let spec = item("pathDateSpecCollect1");
        for good in [
            "2024",
            "2024-05",
            "2024-05-06",
            "2024-05-06T10:11:12",
            "2024-05-06T10:11:12Z",
            "2024-05-06T10:11:12-04:00",
            "2024-05-06T23:59:60+14:00",
        ] {
            assert_eq!(check_value(spec, good), Ok(()), "{good}");
        }
        for bad in [
            "2024-05-06T10:11:12.123-04:00",
            "2024-13",
            "2024-02-30",
            "2024-05-06T10:11",
            "2024-05T10:11:12",
            "20240506",
            "2024-05-06T24:00:00",
            "2024-05-06T10:11:12+15:00",
        ] {
            assert!(check_value(spec, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn spaces_and_text_lengths() {
        let city = item("addrAtDxCity"); // text, 50
        assert_eq!(check_value(city, "Harrisburg"), Ok(()));
        assert_eq!(
            check_value(city, " Harrisburg"),
            Err(ValueError::SurroundingSpace)
        );
        assert_eq!(check_value(city, ""), Ok(()));
        // Length counts characters, not bytes.
        assert_eq!(check_value(city, &"é".repeat(50)), Ok(()));
        assert!(check_value(city, &"é".repeat(51)).is_err());
        let state_items = UserDictionary::default_flat_v18()
            .item("stateRequestorItems")
            .unwrap();
        assert_eq!(
            check_value(state_items, "  AB  "),
            Ok(()),
            "trim=none keeps spaces"
        );
        let remarks = Dictionary::base(NaaccrVersion::V180)
            .item("textRemarks")
            .unwrap();
        assert!(remarks.allow_unlimited_text);
        assert_eq!(
            check_value(remarks, &"x".repeat(remarks.length as usize + 10)),
            Ok(())
        );
    }

    #[test]
    fn error_messages_are_actionable() {
        assert_eq!(
            ValueError::WrongType {
                data_type: DataType::Date
            }
            .to_string(),
            "value is not valid for data type date: expected a real date CCYY, CCYYMM or CCYYMMDD with year 1800-2099"
        );
        assert_eq!(
            ValueError::TooShort {
                length: 9,
                actual: 5,
                data_type: DataType::Digits
            }
            .to_string(),
            "value is 5 characters long; a digits item must be exactly 9"
        );
    }

    #[test]
    fn padding_rules() {
        let zero = item("classOfCase"); // digits, 2, leftZero
        assert_eq!(apply_zero_padding(zero, "5"), "05");
        assert_eq!(apply_zero_padding(zero, "05"), "05");
        assert_eq!(apply_zero_padding(zero, "X"), "X");
        let city = item("addrAtDxCity");
        assert_eq!(apply_zero_padding(city, "5"), "5");

        let d180 = Dictionary::base(NaaccrVersion::V180);
        let ratio = d180.item("her2IshDualProbeRatio").unwrap(); // 4, leftBlank
        assert_eq!(pad_flat_field(ratio, "2.5", false).unwrap(), " 2.5");
        let site = d180.item("primarySite").unwrap();
        assert_eq!(pad_flat_field(site, "C50", false).unwrap(), "C50 ");
        assert!(pad_flat_field(site, "C5099", false).is_err());
        let left_zero = d180.item("sequenceNumberCentral").unwrap(); // 2, leftZero
        assert_eq!(pad_flat_field(left_zero, "5", true).unwrap(), "05");
        assert_eq!(pad_flat_field(left_zero, "5", false).unwrap(), "5 ");

        assert_eq!(read_flat_field(site, "C50 "), "C50");
        let state_items = UserDictionary::default_flat_v18()
            .item("stateRequestorItems")
            .unwrap();
        assert_eq!(read_flat_field(state_items, " A "), " A ");
    }

    #[test]
    fn text_normalisation() {
        assert_eq!(normalize_text("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(normalize_text("a\u{0}b\u{7}c\td"), "abc\td");
        assert!(matches!(normalize_text("plain"), Cow::Borrowed(_)));
    }
}
