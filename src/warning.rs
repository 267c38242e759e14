//! The one warning the addon emits: a caller's listener or callback threw. Whichever side
//! notices the throw (a listener called from Rust, or `success` / `fail` / `complete` called by
//! `index.js` through [`report_callback_error`]) reports it here, with one type, code and wording.

use napi::bindgen_prelude::{FnArgs, Function, JsObjectValue, Object, Unknown};
use napi::Env;
use napi_derive::napi;

/// `warning.name` of the report (`process.emitWarning`'s `type`).
const WARNING_TYPE: &str = "UploadTaskWarning";
/// `warning.code` of the report.
const WARNING_CODE: &str = "UPLOAD_TASK_CALLBACK_THREW";

/// Reports that `source` (such as `the success callback`) threw `detail`, through
/// `process.emitWarning`, so that it never crashes the process. Never fails: when the warning
/// itself cannot be emitted, nothing more can be reported.
pub fn callback_threw(env: &Env, source: &str, detail: &str) {
    let report = || -> napi::Result<()> {
        let process: Object = env.get_global()?.get_named_property("process")?;
        let emit_warning: Function<FnArgs<(String, Object)>, Unknown> =
            process.get_named_property("emitWarning")?;
        let mut options = Object::new(env)?;
        options.set_named_property("type", WARNING_TYPE)?;
        options.set_named_property("code", WARNING_CODE)?;
        // A throwing `emitWarning` leaves no exception pending: `call` takes it.
        let message = format!("upload-task: {source} threw: {detail}");
        emit_warning.call((message, options).into())?;
        Ok(())
    };
    let _ = report();
}

/// Reports a JavaScript callback that threw: `source` names it, `detail` is what it threw
/// (its stack, or the value as text). For `index.js`; it never throws.
#[napi]
#[cfg_attr(test, allow(dead_code))] // only JavaScript calls it
pub fn report_callback_error(env: Env, source: String, detail: String) {
    callback_threw(&env, &source, &detail);
}
