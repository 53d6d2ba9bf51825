//! Throughput benchmark (prints figures; written in the next commit).

fn main() {}
