//! `genmon`: see `genmon --help`.
fn main() -> std::process::ExitCode {
    genmon::cli::main()
}
