//! Any bytes through the ESDK message parser and opener: nothing may panic, and nothing but a
//! message sealed under the key may open.
#![no_main]

use kcb::path::envelope::esdk;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = esdk::header::parse(data) {
        let _ = esdk::open(data, &parsed, &[7u8; 32]);
    }
});
