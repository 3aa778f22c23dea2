//! `genmon`: see `genmon --help`.

/// A render is hundreds of thousands of short-lived strings and vectors:
/// mimalloc's per-thread free lists serve them with less CPU than glibc's
/// malloc (benches/README.md, render phases).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let code = genmon::cli::main();
    // Leave without tearing down: the allocator's exit hook would walk
    // its heaps and hand every freed page back to the kernel one
    // `madvise` at a time (~190 calls after a render of the bench spec),
    // work the kernel does anyway, at once, when the process ends. Every
    // command has finished, waited for its children and dropped what it
    // owns by now; stdout is the only buffer left (line-buffered, and
    // `cli::out` flushes: normally empty).
    use std::io::Write;
    let code = match std::io::stdout().flush() {
        Err(e) if code == genmon::cli::exit::OK && e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write to stdout: {e}");
            genmon::cli::exit::USAGE
        }
        _ => code,
    };
    // SAFETY: `_exit` ends the process; nothing runs after it.
    unsafe { libc::_exit(i32::from(code)) }
}
