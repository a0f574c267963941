import { render } from "preact";
import { App } from "./app";
import { loadSession } from "./session";

const root = document.getElementById("app")!;
root.textContent = "";
render(<App />, root);
// boot.ts has usually asked already; if it has not run yet, its answer is dropped unread.
void loadSession(window.casecoordSession);
