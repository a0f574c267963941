// The three download buttons of the statistics pages. The export code (sheet layout, CSV, CP932,
// XLSX) is its own chunk, fetched on the first press.
import { useState } from "preact/hooks";
import { tr } from "../../i18n";
import type { Format } from "./export";

type ExportModule = typeof import("./export");

export function Downloads({ label, run }: {
  /** The group's accessible name, e.g. 「事業実績のダウンロード」. */
  label: string;
  run: (module: ExportModule, format: Format) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const press = async (format: Format) => {
    setBusy(true);
    setError("");
    try {
      const module = await import("./export");
      try {
        run(module, format);
      } catch (e) {
        if (e instanceof module.UnmappableCharacterError) {
          setError(tr(`「${e.character}」は CP932（Shift_JIS）で表せません。「CSV（UTF-8 BOM）」か「Excel（XLSX）」をお使いください。`,
            `"${e.character}" cannot be written in CP932; use UTF-8 CSV or XLSX.`));
        } else {
          setError(tr("ファイルを作成できませんでした。", "The file could not be made."));
        }
      }
    } catch {
      setError(tr("ファイルを作成できませんでした。再読み込みしてお試しください。", "The file could not be made; reload and try again."));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="downloads no-print" role="group" aria-label={label}>
      <button type="button" disabled={busy} onClick={() => void press("csv-cp932")}>{tr("CSV（Excel用 CP932）", "CSV (CP932 for Excel)")}</button>
      <button type="button" disabled={busy} onClick={() => void press("csv-utf8")}>{tr("CSV（UTF-8 BOM）", "CSV (UTF-8 BOM)")}</button>
      <button type="button" disabled={busy} onClick={() => void press("xlsx")}>{tr("Excel（XLSX）", "Excel (XLSX)")}</button>
      {error && <p class="error" role="alert">{error}</p>}
    </div>
  );
}
