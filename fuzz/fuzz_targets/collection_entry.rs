#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_core::fuzz::collection_entry(data));
