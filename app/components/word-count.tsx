import { useState, type TextareaHTMLAttributes } from "react";
import { FieldFrame } from "~/components/forms";
import { countWords } from "~/domain/text";

interface WordCountProps extends Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "defaultValue" | "value"> {
  name: string;
  label: string;
  /** The text to start from (the stored answer, or what was just posted). */
  defaultValue: string;
  /** Fewest words accepted on submit. */
  min: number;
  /** Most words accepted on submit, if bounded. */
  max?: number;
  error?: string;
  hint?: string;
}

/** The sentence under the box: how many words, and what is still needed. */
export function wordCountMessage(count: number, min: number, max?: number): { text: string; ok: boolean } {
  const range = max === undefined ? `at least ${min}` : `${min}–${max}`;
  const words = `${count} word${count === 1 ? "" : "s"}`;
  if (count < min) return { text: `${words} (${range} needed): ${min - count} more to go.`, ok: false };
  if (max !== undefined && count > max)
    return { text: `${words} (${range} needed): ${count - max} too many.`, ok: false };
  return { text: `${words} (${range} needed).`, ok: true };
}

/**
 * A labelled textarea with a word counter. The count is rendered on the server (so it shows after a post
 * without JavaScript) and kept live in the browser as the user types.
 */
export function WordCountTextarea({
  name,
  label,
  defaultValue,
  min,
  max,
  error,
  hint,
  id,
  ...rest
}: WordCountProps) {
  const fieldId = id ?? `f-${name}`;
  const [count, setCount] = useState(() => countWords(defaultValue));
  const message = wordCountMessage(count, min, max);
  return (
    <FieldFrame
      name={name}
      id={fieldId}
      label={label}
      error={error}
      hint={hint}
      describedBy={[`${fieldId}-count`]}
    >
      {(control) => (
        <>
          <textarea
            {...control}
            defaultValue={defaultValue}
            onChange={(e) => setCount(countWords(e.currentTarget.value))}
            {...rest}
          />
          <p
            id={`${fieldId}-count`}
            className={message.ok ? "word-count" : "word-count word-count-short"}
            aria-live="polite"
          >
            {message.text}
          </p>
        </>
      )}
    </FieldFrame>
  );
}
