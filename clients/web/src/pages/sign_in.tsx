// サインイン: user id, password and the authenticator's code; the first sign-in (or one after an
// admin reset) goes on to choose a new password and enrol the authenticator from a QR code.
import { useState } from "preact/hooks";
import { tr } from "../i18n";
import { enroll, signIn, type Enrollment, type SignInOutcome } from "../session";
import { Field } from "../ui/common";

export function SignInForm({ fixedUserId, onDone }: { fixedUserId?: string; onDone?: () => void }) {
  const [userId, setUserId] = useState(fixedUserId ?? "");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string>();
  const [enrollment, setEnrollment] = useState<Enrollment>();

  const settle = (outcome: SignInOutcome) => {
    setBusy(false);
    if (outcome.kind === "failed") {
      setFailure(
        outcome.message +
          (outcome.retryAfterSeconds
            ? tr(`（${outcome.retryAfterSeconds}秒後に再試行してください）`, ` (retry in ${outcome.retryAfterSeconds} s)`)
            : ""),
      );
      setCode("");
    } else if (outcome.kind === "enroll") {
      setFailure(undefined);
      setEnrollment(outcome.enrollment);
      setPassword("");
      setCode("");
    } else {
      onDone?.();
    }
  };

  if (enrollment) return <EnrollForm enrollment={enrollment} onOutcome={settle} />;
  return (
    <form
      class="sign-in"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        settle(await signIn(userId.trim(), password, code.trim()));
      }}
    >
      {failure && <p class="error" role="alert">{failure}</p>}
      <Field label={tr("ユーザーID", "User ID")} value={userId} onValue={setUserId} required
        autoComplete="username" readOnly={!!fixedUserId} name="userId" />
      <Field label={tr("パスワード", "Password")} type="password" value={password} onValue={setPassword}
        required autoComplete="current-password" name="password" />
      <Field label={tr("確認コード（認証アプリの6桁）", "Code (6 digits from the authenticator)")}
        value={code} onValue={setCode} inputMode="numeric" autoComplete="one-time-code"
        pattern="[0-9]{6}" maxLength={6} name="code"
        hint={tr("初回サインインでは空欄で構いません。", "Leave empty at your first sign-in.")} />
      <button type="submit" class="primary" disabled={busy}>
        {busy ? tr("確認中…", "Checking…") : tr("サインイン", "Sign in")}
      </button>
    </form>
  );
}

function EnrollForm({ enrollment, onOutcome }: { enrollment: Enrollment; onOutcome: (o: SignInOutcome) => void }) {
  const [newPassword, setNewPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string>();
  const qrUrl = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrollment.qrSvg)}`;
  return (
    <form
      class="sign-in"
      onSubmit={async (e) => {
        e.preventDefault();
        if (enrollment.newPasswordRequired && newPassword !== confirm) {
          setFailure(tr("新しいパスワードが一致しません。", "The new passwords differ."));
          return;
        }
        setBusy(true);
        const outcome = await enroll(enrollment.token, newPassword, code.trim());
        setBusy(false);
        if (outcome.kind === "failed") setFailure(outcome.message);
        else onOutcome(outcome);
      }}
    >
      <h2>{tr("認証アプリの登録", "Set up your authenticator")}</h2>
      {failure && <p class="error" role="alert">{failure}</p>}
      <p>{tr("認証アプリでこのQRコードを読み取るか、下の鍵を入力してください。",
        "Scan this QR code with your authenticator app, or type the key below.")}</p>
      <img class="qr" src={qrUrl} width={200} height={200}
        alt={tr("認証アプリ登録用のQRコード", "QR code for the authenticator app")} />
      <p>
        {tr("鍵", "Key")}: <code class="secret">{enrollment.secret}</code>
      </p>
      {enrollment.newPasswordRequired && (
        <>
          <Field label={tr("新しいパスワード", "New password")} type="password" value={newPassword}
            onValue={setNewPassword} required autoComplete="new-password" />
          <Field label={tr("新しいパスワード（確認）", "New password (again)")} type="password"
            value={confirm} onValue={setConfirm} required autoComplete="new-password" />
        </>
      )}
      <Field label={tr("確認コード（6桁）", "Code (6 digits)")} value={code} onValue={setCode}
        inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required />
      <button type="submit" class="primary" disabled={busy}>{tr("登録してサインイン", "Enrol and sign in")}</button>
    </form>
  );
}

export function SignInPage() {
  return (
    <main class="sign-in-page" id="main">
      <h1>{tr("包括的相談支援 ケース管理", "casecoord — multi-agency case coordination")}</h1>
      <SignInForm />
    </main>
  );
}
