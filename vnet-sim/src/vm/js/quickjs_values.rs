//! Values between QuickJS and the JSON-like values messages carry (the mapping in
//! [`crate::vm`]): integral numbers up to 2^53 cross as integers, functions and cycles do not
//! cross, NaN and the infinities become null as in `JSON.stringify`.

use rquickjs::{Array, Ctx, Exception, Object, Value};
use serde_json::Value as Json;

use crate::net::{Message, Payload};

/// Nesting deeper than this is taken for a cycle (as Lua's packing does).
const MAX_DEPTH: usize = 64;

/// A JS value as the JSON-like value messages carry; `what` names the call in errors.
pub(super) fn to_json<'js>(ctx: &Ctx<'js>, v: &Value<'js>, what: &str) -> rquickjs::Result<Json> {
    to_json_at(ctx, v, what, 0)
}

fn to_json_at<'js>(
    ctx: &Ctx<'js>,
    v: &Value<'js>,
    what: &str,
    depth: usize,
) -> rquickjs::Result<Json> {
    if depth > MAX_DEPTH {
        return Err(Exception::throw_type(
            ctx,
            &format!("{what}: value nested deeper than {MAX_DEPTH} levels (a cycle?)"),
        ));
    }
    if v.is_null() || v.is_undefined() {
        return Ok(Json::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Json::Bool(b));
    }
    if let Some(i) = v.as_int() {
        return Ok(Json::from(i));
    }
    if let Some(f) = v.as_float() {
        return Ok(number(f));
    }
    if let Some(s) = v.as_string() {
        return Ok(Json::String(s.to_string()?));
    }
    if v.is_function() {
        return Err(Exception::throw_type(
            ctx,
            &format!("{what}: cannot send a function"),
        ));
    }
    if let Some(a) = v.as_array() {
        let mut out = Vec::with_capacity(a.len());
        for item in a.iter::<Value>() {
            let item = item?;
            // As JSON.stringify: what JSON cannot hold is null in an array.
            out.push(if unsendable(&item) {
                Json::Null
            } else {
                to_json_at(ctx, &item, what, depth + 1)?
            });
        }
        return Ok(Json::Array(out));
    }
    if let Some(o) = v.as_object() {
        let mut out = serde_json::Map::new();
        for prop in o.props::<String, Value>() {
            let (k, item) = prop?;
            // ... and left out of an object.
            if item.is_undefined() || unsendable(&item) {
                continue;
            }
            out.insert(k, to_json_at(ctx, &item, what, depth + 1)?);
        }
        return Ok(Json::Object(out));
    }
    Err(Exception::throw_type(
        ctx,
        &format!("{what}: cannot send a {}", v.type_name()),
    ))
}

/// What JSON.stringify drops inside an array or object (at the top, `send` refuses it).
fn unsendable(v: &Value<'_>) -> bool {
    v.is_function() || v.is_symbol()
}

/// A double as the mapping carries it: integral ones up to 2^53 as integers.
fn number(f: f64) -> Json {
    if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
        Json::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
    }
}

/// A JSON-like value as a JS value.
pub(super) fn from_json<'js>(ctx: &Ctx<'js>, v: &Json) -> rquickjs::Result<Value<'js>> {
    Ok(match v {
        Json::Null => Value::new_null(ctx.clone()),
        Json::Bool(b) => Value::new_bool(ctx.clone(), *b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => match i32::try_from(i) {
                Ok(i) => Value::new_int(ctx.clone(), i),
                Err(_) => Value::new_float(ctx.clone(), i as f64),
            },
            None => Value::new_float(ctx.clone(), n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => rquickjs::String::from_str(ctx.clone(), s)?.into_value(),
        Json::Array(items) => {
            let a = Array::new(ctx.clone())?;
            for (i, item) in items.iter().enumerate() {
                a.set(i, from_json(ctx, item)?)?;
            }
            a.into_value()
        }
        Json::Object(map) => {
            let o = Object::new(ctx.clone())?;
            for (k, item) in map {
                o.set(k.as_str(), from_json(ctx, item)?)?;
            }
            o.into_value()
        }
    })
}

/// A message's payload as a JS value: null, an array of byte values, or the value.
pub(super) fn message_to_js<'js>(ctx: &Ctx<'js>, m: &Message) -> rquickjs::Result<Value<'js>> {
    match m.payload() {
        Payload::Empty => Ok(Value::new_null(ctx.clone())),
        Payload::Bytes(b) => from_json(ctx, &Json::from(b.as_slice())),
        Payload::Value(v) => from_json(ctx, v),
    }
}
