// A form's submit button held disabled while its work runs, the work's error shown in the form (dom.js formError)
// in the words explain(error) gives (api.js describe by default).
import { describe } from "./api.js";
import { formError } from "./dom.js";

export async function busy(form, work, explain = describe) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  formError(form, "");
  try {
    await work();
  } catch (error) {
    formError(form, explain(error));
  } finally {
    button.disabled = false;
  }
}
