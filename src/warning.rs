//! The warnings the addon emits, each worded once, here, whichever side notices the problem:
//! a caller's listener or callback threw (a listener called from Rust, or `success` / `fail` /
//! `complete` called by `lib/upload-file.js` through [`report_callback_error`]), and a failure
//! of a callback-style call that has nowhere to go ([`report_unhandled_failure`]).

use napi::bindgen_prelude::{FnArgs, Function, JsObjectValue, Object, Unknown};
use napi::Env;
use napi_derive::napi;

/// `warning.name` of the report (`process.emitWarning`'s `type`).
const WARNING_TYPE: &str = "UploadTaskWarning";
/// `warning.code` of a callback that threw.
const CALLBACK_THREW: &str = "UPLOAD_TASK_CALLBACK_THREW";
/// `warning.code` of a failure that neither `fail` nor `complete` received.
const UNHANDLED_FAILURE: &str = "UPLOAD_TASK_UNHANDLED_FAILURE";

/// Reports that `source` (such as `the success callback`) threw `detail`, through
/// `process.emitWarning`, so that it never crashes the process. Never fails: when the warning
/// itself cannot be emitted, nothing more can be reported.
pub fn callback_threw(env: &Env, source: &str, detail: &str) {
    emit(
        env,
        &format!("upload-task: {source} threw: {detail}"),
        CALLBACK_THREW,
    );
}

/// `process.emitWarning(message, { type: 'UploadTaskWarning', code })`; never fails.
fn emit(env: &Env, message: &str, code: &str) {
    let report = || -> napi::Result<()> {
        let process: Object = env.get_global()?.get_named_property("process")?;
        let emit_warning: Function<FnArgs<(String, Object)>, Unknown> =
            process.get_named_property("emitWarning")?;
        let mut options = Object::new(env)?;
        options.set_named_property("type", WARNING_TYPE)?;
        options.set_named_property("code", code)?;
        // A throwing `emitWarning` leaves no exception pending: `call` takes it.
        emit_warning.call((message.to_string(), options).into())?;
        Ok(())
    };
    let _ = report();
}

/// Reports a JavaScript callback that threw: `source` names it, `detail` is what it threw
/// (its stack, or the value as text). For `lib/upload-file.js`; it never throws.
#[napi]
#[cfg_attr(test, allow(dead_code))] // only JavaScript calls it
pub fn report_callback_error(env: Env, source: String, detail: String) {
    callback_threw(&env, &source, &detail);
}

/// Reports the failure of an upload started with `success` only, as mini-program code often
/// does: WeChat logs it, so it is a warning here instead of an unhandled rejection that would
/// end the process. For `lib/upload-file.js`; it never throws.
#[napi]
#[cfg_attr(test, allow(dead_code))] // only JavaScript calls it
pub fn report_unhandled_failure(env: Env, err_msg: String) {
    emit(
        &env,
        &format!(
            "upload-task: an upload failed and no fail or complete callback was given: {err_msg}"
        ),
        UNHANDLED_FAILURE,
    );
}
