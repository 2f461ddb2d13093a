//! The node API as QuickJS globals: the same functions, names and errors as on boa (the table
//! in [`crate::vm`]), the stable storage `store`, the tuple space (`out`, `inp`, `rdp`, and the
//! awaited `rd` and `take`; `ANY`) and the agent runtime's `__agent`.

use std::rc::Rc;

use rquickjs::function::Rest;
use rquickjs::{Coerced, Ctx, Exception, Function, Object, Persistent, Promise, Value};
use serde_json::Value as Json;

use super::quickjs::{Pending, Shared};
use super::quickjs_values::{from_json, to_json};
use crate::kernel::RecordValue;
use crate::time::SimDuration;
use crate::vm::io::millis;

type Result<T> = rquickjs::Result<T>;

/// A native function of the API: `(context, the worker's state, arguments)`.
type Api = for<'js> fn(&Ctx<'js>, &Shared, &[Value<'js>]) -> Result<Value<'js>>;

fn arg<'js>(ctx: &Ctx<'js>, args: &[Value<'js>], i: usize) -> Value<'js> {
    args.get(i)
        .cloned()
        .unwrap_or_else(|| Value::new_undefined(ctx.clone()))
}

fn type_error(ctx: &Ctx<'_>, msg: String) -> rquickjs::Error {
    Exception::throw_type(ctx, &msg)
}

/// The value as a string, as JavaScript's `String(v)` gives it.
fn text<'js>(v: &Value<'js>) -> Result<String> {
    Ok(v.get::<Coerced<String>>()?.0)
}

/// The value as a number, as JavaScript's `Number(v)` gives it.
fn number<'js>(v: &Value<'js>) -> Result<f64> {
    Ok(v.get::<Coerced<f64>>()?.0)
}

/// Null or undefined: an argument left out.
fn absent(v: &Value<'_>) -> bool {
    v.is_null() || v.is_undefined()
}

/// An optional time in milliseconds (`recv`'s and `rd`'s timeouts, `out`'s lifetime).
fn optional_ms(ctx: &Ctx<'_>, v: &Value<'_>, what: &str) -> Result<Option<SimDuration>> {
    if absent(v) {
        return Ok(None);
    }
    millis(what, number(v)?)
        .map(Some)
        .map_err(|e| type_error(ctx, e))
}

/// Registers a blocking call's promise; only one may be outstanding.
fn block<'js>(
    ctx: &Ctx<'js>,
    shared: &Shared,
    make: impl FnOnce(Persistent<Function<'static>>) -> Pending,
    name: &str,
) -> Result<Value<'js>> {
    if shared.pending.borrow().is_some() {
        return Err(type_error(
            ctx,
            format!("{name}: another blocking call is still waiting (missing `await`?)"),
        ));
    }
    let (promise, resolve, _) = Promise::new(ctx)?;
    *shared.pending.borrow_mut() = Some(make(Persistent::save(ctx, resolve)));
    Ok(promise.into_value())
}

/// A promise already resolved with `v`.
fn resolved<'js>(ctx: &Ctx<'js>, v: Value<'js>) -> Result<Value<'js>> {
    let (promise, resolve, _) = Promise::new(ctx)?;
    resolve.call::<_, ()>((v,))?;
    Ok(promise.into_value())
}

fn null<'js>(ctx: &Ctx<'js>) -> Value<'js> {
    Value::new_null(ctx.clone())
}

fn undefined<'js>(ctx: &Ctx<'js>) -> Value<'js> {
    Value::new_undefined(ctx.clone())
}

/// Makes each `(name, length, function)` a property of `target`.
fn register<'js>(
    ctx: &Ctx<'js>,
    shared: &Rc<Shared>,
    target: &Object<'js>,
    functions: &[(&str, usize, Api)],
) -> Result<()> {
    for &(name, length, f) in functions {
        let s = shared.clone();
        let function = Function::new(ctx.clone(), move |ctx: Ctx<'js>, args: Rest<Value<'js>>| {
            f(&ctx, &s, &args.0)
        })?
        .with_name(name)?
        .with_length(length)?;
        target.set(name, function)?;
    }
    Ok(())
}

/// Installs the API in the context's globals.
pub(super) fn install<'js>(ctx: &Ctx<'js>, shared: &Rc<Shared>) -> Result<()> {
    let globals = ctx.globals();
    register(ctx, shared, &globals, &NODE_API)?;
    register(ctx, shared, &globals, &TUPLE_API)?;
    let console = Object::new(ctx.clone())?;
    console.set("log", globals.get::<_, Value>("print")?)?;
    globals.set("console", console)?;
    let store = Object::new(ctx.clone())?;
    register(ctx, shared, &store, &STORE_API)?;
    globals.set("store", store)?;
    globals.set("ANY", from_json(ctx, &crate::agents::any())?)?;
    // Math.random would draw from QuickJS's own generator, seeded from the clock.
    let math: Object = globals.get("Math")?;
    math.set("random", globals.get::<_, Value>("random")?)?;
    Ok(())
}

const NODE_API: [(&str, usize, Api); 14] = [
    ("send", 2, |ctx, s, args| {
        let port = text(&arg(ctx, args, 0))?;
        let value = to_json(ctx, &arg(ctx, args, 1), "send")?;
        s.count()
            .send(&port, value)
            .map_err(|e| type_error(ctx, e))?;
        Ok(undefined(ctx))
    }),
    ("recv", 2, |ctx, s, args| {
        let p = arg(ctx, args, 0);
        let port = if absent(&p) {
            None
        } else {
            let name = text(&p)?;
            let io = s.io.borrow();
            Some(io.node.port(&name).ok_or_else(|| {
                type_error(
                    ctx,
                    format!("recv: node `{}` has no port `{name}`", io.node.name),
                )
            })?)
        };
        let timeout = optional_ms(ctx, &arg(ctx, args, 1), "recv")?;
        block(
            ctx,
            s,
            |resolve| Pending::Recv {
                port,
                timeout,
                resolve,
            },
            "recv",
        )
    }),
    ("sleep", 1, |ctx, s, args| {
        let duration =
            millis("sleep", number(&arg(ctx, args, 0))?).map_err(|e| type_error(ctx, e))?;
        block(
            ctx,
            s,
            |resolve| Pending::Sleep { duration, resolve },
            "sleep",
        )
    }),
    ("now", 0, |ctx, s, _| {
        Ok(Value::new_float(ctx.clone(), s.count().now_ms()))
    }),
    ("record", 2, |ctx, s, args| {
        let name = arg(ctx, args, 0);
        if !name.is_string() {
            return Err(type_error(ctx, "record: expected a name (a string)".into()));
        }
        let name = text(&name)?;
        let v = arg(ctx, args, 1);
        // Numbers directly, so that NaN and the infinities, which JSON cannot hold, are kept.
        let value = match v.as_number() {
            // Integral ones as integers, as the mapping has them.
            Some(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 => {
                Ok(RecordValue::Int(f as i64))
            }
            Some(f) => Ok(RecordValue::Float(f)),
            None => RecordValue::from_json(&to_json(ctx, &v, "record")?).map_err(|e| e.to_string()),
        };
        s.count()
            .record(name, value)
            .map_err(|e| type_error(ctx, e))?;
        Ok(undefined(ctx))
    }),
    ("params", 0, |ctx, s, _| {
        let params = s.io.borrow().params.clone();
        from_json(ctx, &params)
    }),
    // A number: exact up to 2^53 ns (104 days of virtual time).
    ("now_ns", 0, |ctx, s, _| {
        Ok(Value::new_float(ctx.clone(), s.count().now_ns() as f64))
    }),
    ("random", 0, |ctx, s, _| {
        Ok(Value::new_float(ctx.clone(), s.io.borrow_mut().random()))
    }),
    ("print", 0, |ctx, s, args| {
        let mut parts = Vec::with_capacity(args.len());
        for a in args {
            let json = if a.is_object() && !a.is_function() {
                to_json(ctx, a, "print").ok().map(|j| j.to_string())
            } else {
                None
            };
            parts.push(match json {
                Some(t) => t,
                None => text(a)?,
            });
        }
        s.count().print(parts.join(" "));
        Ok(undefined(ctx))
    }),
    ("node", 0, |ctx, s, _| {
        let v = super::node_value(&s.io.borrow().node);
        from_json(ctx, &v)
    }),
    ("fork", 1, |ctx, s, args| {
        let code = text(&arg(ctx, args, 0))?;
        let id = s.count().fork(code);
        Ok(Value::new_float(ctx.clone(), f64::from(id)))
    }),
    ("kill", 1, |ctx, s, args| {
        let w = number(&arg(ctx, args, 0))?;
        if !(0.0..=f64::from(u32::MAX)).contains(&w) || w.fract() != 0.0 {
            return Err(type_error(ctx, format!("kill: no worker {w}")));
        }
        s.io.borrow_mut().kill(w as u32);
        Ok(undefined(ctx))
    }),
    ("exit", 0, |ctx, s, _| {
        s.io.borrow_mut().exit = true;
        // Unwinds the program; the worker ends even if the program catches this.
        Err(Exception::throw_message(ctx, "exit"))
    }),
    ("sensor", 1, |ctx, s, args| {
        let name = text(&arg(ctx, args, 0))?;
        let reading = s.count().sensor(&name).map_err(|e| type_error(ctx, e))?;
        Ok(reading.map_or_else(|| null(ctx), |r| Value::new_float(ctx.clone(), r)))
    }),
];

const STORE_API: [(&str, usize, Api); 4] = [
    ("get", 1, |ctx, s, args| {
        let key = text(&arg(ctx, args, 0))?;
        let value = {
            let io = s.io.borrow();
            let store = io.store_ref().map_err(|e| type_error(ctx, e))?;
            let store = store
                .try_borrow()
                .map_err(|_| type_error(ctx, "store: busy".into()))?;
            store.get(&key).cloned()
        };
        match value {
            Some(v) => from_json(ctx, &v),
            None => Ok(null(ctx)),
        }
    }),
    ("set", 2, |ctx, s, args| {
        let key = text(&arg(ctx, args, 0))?;
        let value = to_json(ctx, &arg(ctx, args, 1), "store.set")?;
        s.io.borrow_mut()
            .store_set(&key, value)
            .map_err(|e| type_error(ctx, e))?;
        Ok(undefined(ctx))
    }),
    ("keys", 0, |ctx, s, _| {
        let keys: Vec<Json> = {
            let io = s.io.borrow();
            let store = io.store_ref().map_err(|e| type_error(ctx, e))?;
            let store = store
                .try_borrow()
                .map_err(|_| type_error(ctx, "store: busy".into()))?;
            store.keys().map(Json::from).collect()
        };
        from_json(ctx, &Json::Array(keys))
    }),
    ("clear", 0, |ctx, s, _| {
        s.io.borrow_mut()
            .store_clear()
            .map_err(|e| type_error(ctx, e))?;
        Ok(undefined(ctx))
    }),
];

/// Looks for `pattern` now: the pattern as read, and the tuple if one matches.
fn find<'js>(
    ctx: &Ctx<'js>,
    s: &Shared,
    args: &[Value<'js>],
    op: &'static str,
    take: bool,
) -> Result<(Vec<Json>, Option<Json>)> {
    let pattern = to_json(ctx, &arg(ctx, args, 0), op)?;
    let (pattern, found) =
        s.io.borrow_mut()
            .ts_find(op, pattern, take)
            .map_err(|e| type_error(ctx, e))?;
    Ok((pattern, found.map(Json::Array)))
}

/// `rd` / `take`: a promise of the tuple (already resolved if one matches now), or of null
/// after `timeout_ms`.
fn wait<'js>(
    ctx: &Ctx<'js>,
    s: &Shared,
    args: &[Value<'js>],
    op: &'static str,
    take: bool,
) -> Result<Value<'js>> {
    let timeout = optional_ms(ctx, &arg(ctx, args, 1), op)?;
    let (pattern, found) = find(ctx, s, args, op, take)?;
    match found {
        Some(v) => resolved(ctx, from_json(ctx, &v)?),
        None if timeout == Some(SimDuration::ZERO) => resolved(ctx, null(ctx)),
        None => block(
            ctx,
            s,
            |resolve| Pending::Tuple {
                pattern,
                take,
                timeout,
                resolve,
            },
            op,
        ),
    }
}

const TUPLE_API: [(&str, usize, Api); 6] = [
    ("__agent", 2, |ctx, s, args| {
        let op = text(&arg(ctx, args, 0))?;
        let value = to_json(ctx, &arg(ctx, args, 1), &op)?;
        let result =
            s.io.borrow_mut()
                .agent_call(&op, value)
                .map_err(|e| type_error(ctx, e))?;
        from_json(ctx, &result)
    }),
    ("out", 2, |ctx, s, args| {
        let tuple = to_json(ctx, &arg(ctx, args, 0), "out")?;
        let lifetime = optional_ms(ctx, &arg(ctx, args, 1), "out")?;
        s.io.borrow_mut()
            .ts_out(tuple, lifetime)
            .map_err(|e| type_error(ctx, e))?;
        Ok(undefined(ctx))
    }),
    ("inp", 1, |ctx, s, args| {
        let (_, v) = find(ctx, s, args, "inp", true)?;
        v.map_or_else(|| Ok(null(ctx)), |v| from_json(ctx, &v))
    }),
    ("rdp", 1, |ctx, s, args| {
        let (_, v) = find(ctx, s, args, "rdp", false)?;
        v.map_or_else(|| Ok(null(ctx)), |v| from_json(ctx, &v))
    }),
    ("rd", 2, |ctx, s, args| wait(ctx, s, args, "rd", false)),
    ("take", 2, |ctx, s, args| wait(ctx, s, args, "take", true)),
];
