//! Compiled programs, kept per thread: a simulation starts many workers running the same
//! program (every node of a flood, each fork of a worker), and QuickJS reads its own bytecode
//! several times faster than it parses the source. The first worker compiles the program
//! and keeps its bytecode; the next ones with the same program read it into their own runtime.
//! The result is the same function either way (positions and names included).

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::CString;
use std::rc::Rc;

use rquickjs::{Ctx, Value, qjs};

/// Programs kept at most; past this the cache starts again (a run that makes programs on the
/// fly, such as agents with generated code, must not grow it for ever).
const KEPT: usize = 256;

/// Bytecode by (program name, wrapped source). Only looked up, never iterated.
type Compiled = HashMap<(String, String), Rc<[u8]>>;

thread_local! {
    static COMPILED: RefCell<Compiled> = RefCell::new(HashMap::new());
}

/// `code` (global code, named `source` in positions) compiled in `ctx`'s runtime: a function
/// to run with [`run`]. A syntax error is the context's exception (`Error::Exception`).
pub(super) fn compile<'js>(
    ctx: &Ctx<'js>,
    code: &str,
    source: &str,
) -> rquickjs::Result<Value<'js>> {
    let key = (source.to_owned(), code.to_owned());
    if let Some(bytes) = COMPILED.with(|c| c.borrow().get(&key).cloned()) {
        // SAFETY: the bytes are what JS_WriteObject wrote in this process, for this engine.
        let f = unsafe {
            qjs::JS_ReadObject(
                ctx.as_raw().as_ptr(),
                bytes.as_ptr(),
                bytes.len() as _,
                qjs::JS_READ_OBJ_BYTECODE as i32,
            )
        };
        return owned(ctx, f);
    }
    let text = CString::new(code)?;
    let name = CString::new(source)?;
    // SAFETY: both strings are NUL-terminated, as JS_Eval requires of its input.
    let f = unsafe {
        qjs::JS_Eval(
            ctx.as_raw().as_ptr(),
            text.as_ptr(),
            code.len() as _,
            name.as_ptr(),
            (qjs::JS_EVAL_TYPE_GLOBAL | qjs::JS_EVAL_FLAG_COMPILE_ONLY) as i32,
        )
    };
    let f = owned(ctx, f)?;
    let mut size = 0;
    // SAFETY: `f` is a live function bytecode object of `ctx`; the buffer is the context's, freed
    // below after it is copied.
    let bytes = unsafe {
        let buf = qjs::JS_WriteObject(
            ctx.as_raw().as_ptr(),
            &mut size,
            f.as_raw(),
            qjs::JS_WRITE_OBJ_BYTECODE as i32,
        );
        if buf.is_null() {
            None
        } else {
            let copy = Rc::<[u8]>::from(std::slice::from_raw_parts(buf, size as usize));
            qjs::js_free(ctx.as_raw().as_ptr(), buf.cast());
            Some(copy)
        }
    };
    if let Some(bytes) = bytes {
        COMPILED.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= KEPT {
                c.clear();
            }
            c.insert(key, bytes);
        });
    } else {
        // Out of memory while writing: the program still runs, uncached.
        let _ = ctx.catch();
    }
    Ok(f)
}

/// Runs a function [`compile`] made; its completion value (for a worker, its promise).
pub(super) fn run<'js>(ctx: &Ctx<'js>, f: Value<'js>) -> rquickjs::Result<Value<'js>> {
    // JS_EvalFunction takes over the reference it is given: `f`'s, which is not freed here.
    let f = std::mem::ManuallyDrop::new(f);
    // SAFETY: `f` is a function `compile` made in this context.
    let raw = unsafe { qjs::JS_EvalFunction(ctx.as_raw().as_ptr(), f.as_raw()) };
    owned(ctx, raw)
}

/// A value the engine returned with a reference for us, or its exception.
fn owned<'js>(ctx: &Ctx<'js>, raw: qjs::JSValue) -> rquickjs::Result<Value<'js>> {
    // SAFETY: `raw` is owned by the caller, and this takes it over.
    let v = unsafe { Value::from_raw(ctx.clone(), raw) };
    if v.is_exception() {
        return Err(rquickjs::Error::Exception);
    }
    Ok(v)
}
