//! Multi-node tests: real `ferry` processes and scripted peers on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod ferry {
    mod api;
    mod collections;
    mod collections_disk;
    mod collections_restart;
    mod datadir;
    mod durable;
    mod hostile;
    mod interop;
    mod nearby;
    mod pairing;
    mod push;
    mod receive;
    mod serving;
    mod tickets;
}
