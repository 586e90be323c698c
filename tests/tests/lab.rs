//! Across networks: Ferry on a small internet built in network namespaces,
//! with NAT routers, a self-hosted relay and a discovery server (see
//! `ferry_tests::lab`). Needs root; the test command installs the tools.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod lab {
    mod collections;
    mod cuts;
    mod doctor;
    mod moves;
    mod reach;
}
