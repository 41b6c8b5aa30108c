//! Coverage-guided fuzzing of the decoder (run by `make fuzz`): any bytes,
//! split into text and binary frames, must decode without a panic, and every
//! packet that decodes must survive re-encoding unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    socketio_rs::fuzzing::check(data);
});
