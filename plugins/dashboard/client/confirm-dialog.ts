import { byId, setText, show } from "./dom";

export interface ConfirmRequest {
  title: string;
  message: string;
  /** A checkbox offered with the action (e.g. "also drop the table"); unchecked by default. */
  option?: string;
  confirm: string;
}

export interface ConfirmAnswer {
  confirmed: boolean;
  option: boolean;
}

/** Asks in the page's modal <dialog>; Escape or Cancel answers no. Focus starts on Cancel. */
export function confirmDialog(request: ConfirmRequest): Promise<ConfirmAnswer> {
  const dialog = byId<HTMLDialogElement>("confirm");
  const option = byId<HTMLInputElement>("confirm-option");
  setText(byId("confirm-title"), request.title);
  setText(byId("confirm-message"), request.message);
  setText(byId("confirm-option-label"), request.option ?? "");
  show(byId("confirm-option-row"), request.option !== undefined);
  option.checked = false;
  setText(byId("confirm-ok"), request.confirm);
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => resolve({ confirmed: dialog.returnValue === "confirm", option: option.checked }),
      { once: true },
    );
    dialog.showModal();
    byId("confirm-cancel").focus();
  });
}
