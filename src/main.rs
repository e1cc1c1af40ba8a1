//! The `registrar` command. Everything it does lives in the library (`registrar::cli`).

fn main() -> std::process::ExitCode {
    registrar::cli::main()
}
