#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_core::fuzz::device_names(data));
