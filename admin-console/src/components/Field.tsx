/** A labelled input whose backend field errors are shown beside it. */
import { useId, type ReactNode } from "react";

export function Field(props: {
  label: string;
  errors?: string[];
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
}) {
  const id = useId();
  const errorId = `${id}-errors`;
  const errors = props.errors ?? [];
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.children({
        id,
        describedBy: errors.length ? errorId : undefined,
        invalid: errors.length > 0,
      })}
      {errors.length > 0 && (
        <ul id={errorId} className="field-errors">
          {errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
