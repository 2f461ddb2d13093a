//! Lua values to and from the JSON-like values messages carry (the table in the module docs).

use mlua::{Lua, Table, Value as LuaValue};
use serde_json::{Map, Number, Value};

use crate::net::{Message, Payload};

/// Deeper nesting than this is taken for a cycle.
pub(crate) const MAX_DEPTH: usize = 64;

/// Converts a Lua value for sending; the error says what could not cross.
pub(crate) fn from_lua(v: &LuaValue) -> Result<Value, String> {
    from_lua_at(v, 0)
}

fn from_lua_at(v: &LuaValue, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "value nested deeper than {MAX_DEPTH} levels (a table that contains itself?)"
        ));
    }
    Ok(match v {
        LuaValue::Nil => Value::Null,
        LuaValue::Boolean(b) => Value::Bool(*b),
        LuaValue::Integer(i) => Value::Number((*i).into()),
        LuaValue::Number(f) => Value::Number(
            Number::from_f64(*f).ok_or_else(|| format!("cannot send the number {f}"))?,
        ),
        LuaValue::String(s) => Value::String(
            s.to_str()
                .map_err(|_| "cannot send a string that is not valid UTF-8".to_owned())?
                .to_owned(),
        ),
        LuaValue::Table(t) => table_from_lua(t, depth)?,
        other => return Err(format!("cannot send a {}", other.type_name())),
    })
}

fn table_from_lua(t: &Table, depth: usize) -> Result<Value, String> {
    let n = t.raw_len();
    if n > 0 {
        // An array, if its keys are exactly 1..n.
        let mut items = Vec::with_capacity(n);
        for i in 1..=n {
            let v: LuaValue = t.raw_get(i).map_err(|e| e.to_string())?;
            items.push(from_lua_at(&v, depth + 1)?);
        }
        let mut count = 0usize;
        for pair in t.pairs::<LuaValue, mlua::Value>() {
            let (k, _) = pair.map_err(|e| e.to_string())?;
            count += 1;
            match k {
                LuaValue::Integer(i) if i >= 1 && (i as usize) <= n => {}
                LuaValue::String(_) => {
                    return Err("cannot send a table mixing array items and string keys".into());
                }
                other => {
                    return Err(format!(
                        "cannot send a table with key {} (keys must be strings, or 1..n for an array)",
                        describe(&other)
                    ));
                }
            }
        }
        if count != n {
            return Err("cannot send an array with holes".into());
        }
        return Ok(Value::Array(items));
    }
    let mut map = Map::new();
    for pair in t.pairs::<LuaValue, LuaValue>() {
        let (k, v) = pair.map_err(|e| e.to_string())?;
        let LuaValue::String(k) = k else {
            return Err(format!(
                "cannot send a table with key {} (keys must be strings, or 1..n for an array)",
                describe(&k)
            ));
        };
        let k = k
            .to_str()
            .map_err(|_| "cannot send a table key that is not valid UTF-8".to_owned())?
            .to_owned();
        map.insert(k, from_lua_at(&v, depth + 1)?);
    }
    Ok(Value::Object(map))
}

fn describe(v: &LuaValue) -> String {
    match v {
        LuaValue::Integer(i) => i.to_string(),
        LuaValue::Number(f) => f.to_string(),
        LuaValue::Boolean(b) => b.to_string(),
        other => format!("of type {}", other.type_name()),
    }
}

/// Converts a received value into Lua.
pub(crate) fn to_lua(lua: &Lua, v: &Value) -> mlua::Result<LuaValue> {
    Ok(match v {
        Value::Null => LuaValue::Nil,
        Value::Bool(b) => LuaValue::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => LuaValue::Integer(i),
            None => LuaValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => LuaValue::String(lua.create_string(s)?),
        Value::Array(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.iter().enumerate() {
                t.raw_set(i + 1, to_lua(lua, item)?)?;
            }
            LuaValue::Table(t)
        }
        Value::Object(map) => {
            let t = lua.create_table_with_capacity(0, map.len())?;
            for (k, item) in map {
                t.raw_set(k.as_str(), to_lua(lua, item)?)?;
            }
            LuaValue::Table(t)
        }
    })
}

/// A message's payload as a Lua value (bytes become a string).
pub(crate) fn message_to_lua(lua: &Lua, m: &Message) -> mlua::Result<LuaValue> {
    match m.payload() {
        Payload::Empty => Ok(LuaValue::Nil),
        Payload::Bytes(b) => Ok(LuaValue::String(lua.create_string(b.as_slice())?)),
        Payload::Value(v) => to_lua(lua, v),
    }
}
