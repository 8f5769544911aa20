//! Print the JSON schema of `result.json` as this build writes it:
//! `cargo run -p kcb-result --example schema > crates/kcb-result/schema/result.schema.json`.

fn main() {
    print!("{}", kcb_result::result::schema::generate_text());
}
