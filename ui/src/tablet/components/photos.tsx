// A report's photos as thumbnails, each with its stage; a photo that reached the device
// from the centre has no file here and says so instead of showing a broken image. A
// department's after-photos on a 核查 task show the same way once the device fetched them.
import { useResource } from "../../shared/resource";
import { api } from "../api";
import type { LocalPhoto } from "../commands";
import { useI18n } from "../i18n";

export function Thumb({ photo, onRemove }: { photo: Pick<LocalPhoto, "id" | "stage">; onRemove?: () => void }) {
  const { t } = useI18n();
  // Undefined while loading; null when the device has no file for the photo.
  const url = useResource(() => api.thumbnail(photo.id), [photo.id]).value;
  return (
    <figure class="thumb" data-photo={photo.id}>
      {url ? <img src={url} alt="" /> : <div class="placeholder">{url === null ? t("report.heldAtCentre") : "…"}</div>}
      <figcaption>
        {t(photo.stage === "after" ? "report.after" : "report.before")}
        {onRemove && (
          <button type="button" class="remove" onClick={onRemove}>
            {t("report.remove")}
          </button>
        )}
      </figcaption>
    </figure>
  );
}
