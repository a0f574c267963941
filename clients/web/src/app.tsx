// The console's frame: header with the user and the language switch, navigation by role, the
// page of the current route, the idle warning and the re-sign-in cover.
import { useEffect, useState } from "preact/hooks";
import { currentLanguage, onLanguageChange, setLanguage, tr } from "./i18n";
import { NAV, ROLE_LABELS } from "./nav";
import { ROUTES } from "./pages/routes";
import { SignInForm, SignInPage } from "./pages/sign_in";
import { match, usePath } from "./router";
import {
  currentUser, extendSession, hasRole, idleWarningVisible, sessionPhase, signOut, subscribe,
} from "./session";
import { Dialog } from "./ui/dialog";

function useSessionState(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const unsubscribe = subscribe(() => setVersion((v) => v + 1));
    // The session may have loaded between the first render and this effect: render once more,
    // or its notification would be lost and the page would stay blank.
    setVersion((v) => v + 1);
    return unsubscribe;
  }, []);
  useEffect(() => onLanguageChange(() => setVersion((v) => v + 1)), []);
  return version;
}

export function App() {
  useSessionState();
  const phase = sessionPhase();
  if (phase === "unknown") return null;
  if (phase === "signed-out") return <SignInPage />;
  return <SignedIn />;
}

function SignedIn() {
  const path = usePath();
  const user = currentUser()!;
  const phase = sessionPhase();
  const found = match(ROUTES, path);
  const allowed = found && (!found.route.roles || found.route.roles.some(hasRole));

  useEffect(() => {
    document.getElementById("page-heading")?.focus();
    window.scrollTo(0, 0);
  }, [path]);

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => {
        e.preventDefault();
        document.getElementById("main")?.focus();
      }}>{tr("本文へ移動", "Skip to content")}</a>
      <header class="top" inert={phase === "reauth"}>
        <span class="brand">{tr("包括的相談支援", "casecoord")}</span>
        <nav aria-label={tr("メインメニュー", "Main menu")}>
          <ul>
            {NAV.filter((item) => item.roles.some(hasRole)).map((item) => (
              <li key={item.href}>
                <a href={item.href} aria-current={isCurrent(item.href, path) ? "page" : undefined}>
                  {item.label()}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            {user.displayName}
            <small> （{user.roles.map((r) => ROLE_LABELS[r]?.() ?? r).join("・")}）</small>
          </span>
          <button type="button" class="link" lang={currentLanguage() === "ja" ? "en" : "ja"}
            onClick={() => setLanguage(currentLanguage() === "ja" ? "en" : "ja")}>
            {currentLanguage() === "ja" ? "English" : "日本語"}
          </button>
          <button type="button" onClick={() => signOut()}>{tr("サインアウト", "Sign out")}</button>
        </div>
      </header>
      {/* While the same user signs in again, the page stays mounted (what was typed is kept and
          the failed call is sent again) but inert, behind an opaque cover. */}
      <main id="main" tabIndex={-1} inert={phase === "reauth"} aria-hidden={phase === "reauth" ? "true" : undefined}>
        {allowed && found ? (
          <found.route.page params={found.params} key={path} />
        ) : (
          <NotFound />
        )}
      </main>
      <Dialog title={tr("まもなく自動的にサインアウトします", "You will be signed out soon")}
        open={idleWarningVisible() && phase !== "reauth"} onClose={() => void extendSession()}>
        <p>{tr("操作がないため、約2分後にサインアウトします。続ける場合は「続ける」を押してください。",
          "There has been no activity; you will be signed out in about two minutes.")}</p>
        <button type="button" class="primary" onClick={() => void extendSession()}>
          {tr("続ける", "Stay signed in")}
        </button>
      </Dialog>
      <Dialog title={tr("再度サインインしてください", "Please sign in again")} open={phase === "reauth"} mustAnswer
        className="reauth">
        <p>{tr("セッションが終了しました。入力中の内容は保持されています。サインインすると続きから送信します。",
          "Your session ended. What you typed is kept and will be sent once you sign in.")}</p>
        <SignInForm fixedUserId={user.userId} />
        <button type="button" class="link" onClick={() => location.replace("/")}>
          {tr("入力内容を破棄して終了", "Discard and leave")}
        </button>
      </Dialog>
    </>
  );
}

function isCurrent(href: string, path: string): boolean {
  const target = href.replace(/^#/, "");
  return target === "/" ? path === "/" : path === target || path.startsWith(`${target}?`);
}

function NotFound() {
  return (
    <div class="page-title">
      <h1 tabIndex={-1} id="page-heading">{tr("表示できません", "Not available")}</h1>
      <p>{tr("このページは存在しないか、閲覧する権限がありません。", "This page does not exist or you may not open it.")}</p>
    </div>
  );
}
