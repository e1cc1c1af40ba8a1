//! NAACCR data exchange: item dictionaries (180, 250, 260 + user dictionaries), the patient/tumor
//! record view, value checks, streaming NAACCR XML writer and reader, and the legacy flat v18 reader.

pub mod dictionary;
pub mod flat;
pub mod io;
pub mod issue;
pub mod record;
pub mod value;
pub mod xml_reader;
pub mod xml_writer;

pub use dictionary::{
    CombinedDictionary, DataType, Dictionary, DictionaryError, ItemDef, ItemLevel, NaaccrVersion,
    Padding, RecordType, RecordTypes, UserDictionary,
};
pub use flat::{FlatReadError, FlatV18Reader};
pub use io::{NaaccrOutput, create_output, open_input, open_input_counted};
pub use issue::{IssueKind, ItemIssue};
pub use record::{BorrowedPatient, NaaccrPatient, NaaccrTumor};
pub use value::{ValueError, check_value};
pub use xml_reader::{NaaccrDataHeader, NaaccrReadError, NaaccrXmlReader};
pub use xml_writer::{NaaccrWriteError, NaaccrXmlWriter, PatientFormatter, WriterOptions};
