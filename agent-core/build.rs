//! Converts the default policy (`policies/default.toml`, the commented form
//! people copy) to JSON in `OUT_DIR`, so the agent reads it without a TOML
//! parser: a build without the `toml` feature links none.

use std::error::Error;
use std::path::PathBuf;
use std::{env, fs};

fn main() -> Result<(), Box<dyn Error>> {
    let source = "policies/default.toml";
    println!("cargo::rerun-if-changed={source}");
    let table: toml::Table = toml::from_str(&fs::read_to_string(source)?)?;
    let json = serde_json::to_string(&to_json(toml::Value::Table(table))?)?;
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    fs::write(out.join("default_policy.json"), json)?;
    Ok(())
}

/// A TOML value as JSON; a TOML date or time becomes its RFC 3339 text,
/// the form the policy's JSON (its wire form) uses.
fn to_json(value: toml::Value) -> Result<serde_json::Value, Box<dyn Error>> {
    use serde_json::Value as Json;
    Ok(match value {
        toml::Value::String(s) => Json::String(s),
        toml::Value::Integer(i) => Json::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map(Json::Number)
            .ok_or("the default policy has a float JSON cannot represent")?,
        toml::Value::Boolean(b) => Json::Bool(b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(items) => {
            Json::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        toml::Value::Table(table) => Json::Object(
            table
                .into_iter()
                .map(|(k, v)| Ok((k, to_json(v)?)))
                .collect::<Result<_, Box<dyn Error>>>()?,
        ),
    })
}
