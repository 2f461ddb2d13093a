//! The tuple-space globals in JavaScript: `out(tuple [, lifetime_ms])`, `inp(pattern)`,
//! `rdp(pattern)`, and the awaited `rd(pattern [, timeout_ms])` and `take(pattern [,
//! timeout_ms])` (JAM's `in`, a reserved word in JavaScript and Lua); `ANY` in patterns. See
//! [`crate::agents`] for the rules. Also `__agent(op, arg)`, the agent runtime's way to its
//! worker ([`crate::vm::io_agents`]), which the runtime takes out of the globals.

use boa_engine::object::builtins::JsPromise;
use boa_engine::property::Attribute;
use boa_engine::{Context, JsResult, JsValue, js_string};
use serde_json::Value;

use super::boa::{Api, Pending, arg, block, memory, register, shared, to_value, type_error};
use crate::vm::io::millis;

/// Looks for `pattern` now: the tuple, or null.
fn find(
    args: &[JsValue],
    ctx: &mut Context,
    op: &'static str,
    take: bool,
) -> JsResult<(Vec<Value>, Option<Value>)> {
    let pattern = to_value(&arg(args, 0), op, ctx)?;
    memory(ctx)?;
    let (pattern, found) = shared(ctx)?
        .io
        .borrow_mut()
        .ts_find(op, pattern, take)
        .map_err(type_error)?;
    Ok((pattern, found.map(Value::Array)))
}

/// `rd` / `take`: a promise of the tuple (already resolved if one matches now), or of null
/// after `timeout_ms`.
fn wait(args: &[JsValue], ctx: &mut Context, op: &'static str, take: bool) -> JsResult<JsValue> {
    let t = arg(args, 1);
    let timeout = if t.is_null_or_undefined() {
        None
    } else {
        Some(millis(op, t.to_number(ctx)?).map_err(type_error)?)
    };
    let (pattern, found) = find(args, ctx, op, take)?;
    match found {
        Some(v) => {
            let v = JsValue::from_json(&v, ctx)?;
            Ok(JsPromise::resolve(v, ctx)?.into())
        }
        None if timeout == Some(crate::time::SimDuration::ZERO) => {
            Ok(JsPromise::resolve(JsValue::null(), ctx)?.into())
        }
        None => block(
            ctx,
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

fn found(v: Option<Value>, ctx: &mut Context) -> JsResult<JsValue> {
    match v {
        Some(v) => JsValue::from_json(&v, ctx),
        None => Ok(JsValue::null()),
    }
}

pub(super) fn install(context: &mut Context) -> JsResult<()> {
    let functions: [(&str, usize, Api); 6] = [
        ("__agent", 2, |_, args, ctx| {
            let op = arg(args, 0).to_string(ctx)?.to_std_string_escaped();
            let value = to_value(&arg(args, 1), &op, ctx)?;
            memory(ctx)?;
            let result = shared(ctx)?
                .io
                .borrow_mut()
                .agent_call(&op, value)
                .map_err(type_error)?;
            JsValue::from_json(&result, ctx)
        }),
        ("out", 2, |_, args, ctx| {
            let tuple = to_value(&arg(args, 0), "out", ctx)?;
            let l = arg(args, 1);
            let lifetime = if l.is_null_or_undefined() {
                None
            } else {
                Some(millis("out", l.to_number(ctx)?).map_err(type_error)?)
            };
            memory(ctx)?;
            shared(ctx)?
                .io
                .borrow_mut()
                .ts_out(tuple, lifetime)
                .map_err(type_error)?;
            Ok(JsValue::undefined())
        }),
        ("inp", 1, |_, args, ctx| {
            let (_, v) = find(args, ctx, "inp", true)?;
            found(v, ctx)
        }),
        ("rdp", 1, |_, args, ctx| {
            let (_, v) = find(args, ctx, "rdp", false)?;
            found(v, ctx)
        }),
        ("rd", 2, |_, args, ctx| wait(args, ctx, "rd", false)),
        ("take", 2, |_, args, ctx| wait(args, ctx, "take", true)),
    ];
    register(context, &functions)?;
    let any = JsValue::from_json(&crate::agents::any(), context)?;
    context.register_global_property(js_string!("ANY"), any, Attribute::all())?;
    Ok(())
}
