import { render } from "preact";
import { App } from "./app";
import { loadSession } from "./session";

const root = document.getElementById("app")!;
root.textContent = "";
render(<App />, root);
void loadSession();
