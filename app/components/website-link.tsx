/**
 * A website address someone submitted: a link when it is an http(s) address, the plain text otherwise
 * (javascript:, data: …). The link opens a new tab and vouches for nothing (nofollow, ugc).
 */
export function WebsiteLink({ url }: { url: string }) {
  if (!/^https?:\/\/[^\s]+$/iu.test(url)) return <>{url}</>;
  return (
    <a href={url} rel="nofollow noopener noreferrer ugc" target="_blank">
      {url}
    </a>
  );
}
