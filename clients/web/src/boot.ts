// Loaded before the console's main script and run as soon as it arrives (async module): asks the
// server who is signed in while the main script is still being fetched and compiled, so the first
// page waits for one round trip less. session.ts takes the answer (window.casecoordSession).
window.casecoordSession = fetch("/auth/session", {
  method: "POST",
  headers: { "Content-Type": "application/json", "Connect-Protocol-Version": "1" },
  body: "{}",
  cache: "no-store",
  credentials: "same-origin",
});
