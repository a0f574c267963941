// Building blocks every page uses: labelled fields, error and loading states, dates with the
// Western date on hover, data loading with cancellation.
import type { ComponentChildren } from "preact";
import { useEffect, useId, useState } from "preact/hooks";
import { explain, type ExplainedError } from "../api";
import { formatDate, formatDateTime, isoDate, isoDateTime } from "../format";
import { tr } from "../i18n";
import { holdDraft } from "../session";

/** A date as 令和6年5月24日, with 2024-05-24 on hover and in the machine-readable attribute. */
export function DateText({ value, withTime }: { value: Date | undefined; withTime?: boolean }) {
  if (!value) return <span class="muted">—</span>;
  const western = withTime ? isoDateTime(value) : isoDate(value);
  return (
    <time dateTime={value.toISOString()} title={western}>
      {withTime ? formatDateTime(value) : formatDate(value)}
    </time>
  );
}

export function ErrorBanner({ error }: { error: ExplainedError | undefined }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <p>{error.message || tr("エラーが発生しました。", "Something went wrong.")}</p>
      {error.fields.length > 0 && (
        <ul>
          {error.fields.map((f) => (
            <li key={f.field}>
              <code>{f.field}</code>: {f.description}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Loading() {
  return (
    <p class="loading" role="status">
      {tr("読み込み中…", "Loading…")}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** A table in its scrolling frame: `label` names it for screen readers, `head` is the header
 *  row's cells, the children are the body's rows. */
export function DataTable({
  label,
  head,
  children,
}: {
  label: string;
  head: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <div class="table-wrap">
      <table aria-label={label}>
        <thead>
          <tr>{head}</tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

type Loaded<T> =
  | { state: "loading" }
  | { state: "error"; error: ExplainedError }
  | { state: "ready"; value: T };

/** Runs `load` when `deps` change; `reload()` runs it again. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]) {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: "loading" });
  const [round, setRound] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setLoaded({ state: "loading" });
    load(controller.signal).then(
      (value) => !controller.signal.aborted && setLoaded({ state: "ready", value }),
      (error) => !controller.signal.aborted && setLoaded({ state: "error", error: explain(error) }),
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, round]);
  return { loaded, reload: () => setRound((r) => r + 1) };
}

/** A form's submission: `busy` while `work` runs, the explained error when it failed (cleared when
 *  the next run starts). `run` resolves true when the work succeeded. `busy` is cleared at the end
 *  either way; a form that navigated away or closed has unmounted by then, which is harmless.
 *  `setError` is for the form's own checks made before it runs anything. */
export function useSubmission() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ExplainedError | undefined>();
  const run = async (work: () => Promise<void>): Promise<boolean> => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      return true;
    } catch (err) {
      setError(explain(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

/** Renders a Loaded value: spinner, error or content. */
export function Show<T>({ loaded, children }: { loaded: Loaded<T>; children: (value: T) => ComponentChildren }) {
  if (loaded.state === "loading") return <Loading />;
  if (loaded.state === "error") return <ErrorBanner error={loaded.error} />;
  return <>{children(loaded.value)}</>;
}

interface InputProps {
  label: string;
  value: string;
  onValue: (value: string) => void;
  hint?: string;
  type?: "text" | "password" | "date" | "datetime-local" | "number" | "search" | "tel" | "email";
  name?: string;
  required?: boolean;
  readOnly?: boolean;
  disabled?: boolean;
  autoComplete?: string;
  inputMode?: "numeric" | "text" | "tel" | "search";
  pattern?: string;
  maxLength?: number;
  placeholder?: string;
  min?: string;
  max?: string;
}

/** An input with its label (and hint) always associated, for screen readers and the keyboard. */
export function Field({ label, value, onValue, hint, type = "text", ...rest }: InputProps) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={value}
        onInput={(e) => onValue((e.target as HTMLInputElement).value)}
        aria-describedby={hint ? `${id}-hint` : undefined}
        {...rest}
      />
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

export function TextArea({ label, value, onValue, rows = 4, required }: {
  label: string; value: string; onValue: (v: string) => void; rows?: number; required?: boolean;
}) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <textarea id={id} rows={rows} value={value} required={required}
        onInput={(e) => onValue((e.target as HTMLTextAreaElement).value)} />
    </div>
  );
}

export function Select({ label, value, onValue, options, required }: {
  label: string;
  value: string;
  onValue: (v: string) => void;
  options: Array<{ value: string; label: string }>;
  required?: boolean;
}) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} required={required}
        onChange={(e) => onValue((e.target as HTMLSelectElement).value)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>{o.label}</option>
        ))}
      </select>
    </div>
  );
}

export function Checkbox({ label, checked, onChecked }: {
  label: string; checked: boolean; onChecked: (v: boolean) => void;
}) {
  const id = useId();
  return (
    <div class="check">
      <input id={id} type="checkbox" checked={checked}
        onChange={(e) => onChecked((e.target as HTMLInputElement).checked)} />
      <label for={id}>{label}</label>
    </div>
  );
}

/** A page's heading, focused on arrival so screen readers announce the new page. */
export function PageTitle({ children, actions }: { children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <div class="page-title">
      <h1 tabIndex={-1} id="page-heading">{children}</h1>
      {actions && <div class="actions">{actions}</div>}
    </div>
  );
}

/** While `dirty`, an expired session asks the user to sign in again instead of reloading the
 *  page, so what they typed is kept and can still be submitted. */
export function useDraftGuard(dirty: boolean): void {
  useEffect(() => (dirty ? holdDraft() : undefined), [dirty]);
}
