//! `genmon`: see `genmon --help`.

/// A render is hundreds of thousands of short-lived strings and vectors:
/// mimalloc's per-thread free lists serve them with less CPU than glibc's
/// malloc (benches/README.md, render phases).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    genmon::cli::main()
}
