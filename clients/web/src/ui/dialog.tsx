// A modal dialog on the native <dialog> element: focus moves into it, Escape closes it (unless it
// must be answered), and the page behind is inert.
import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";

export function Dialog({ title, open, onClose, children, mustAnswer, className }: {
  title: string;
  /** A class for the <dialog> (e.g. "reauth": an opaque backdrop that hides the page). */
  className?: string;
  open: boolean;
  onClose?: () => void;
  children: ComponentChildren;
  mustAnswer?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      class={className}
      aria-labelledby={titleId}
      onCancel={(e) => {
        if (mustAnswer) e.preventDefault();
        else onClose?.();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {open && children}
    </dialog>
  );
}
