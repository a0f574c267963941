// Scaffold: replaced by the page itself.
import { PageTitle } from "../ui/common";
export function DirectoryPage(_: { params: Record<string, string> }) { return <PageTitle>DirectoryPage</PageTitle>; }
export function AgencyPage(_: { params: Record<string, string> }) { return <PageTitle>AgencyPage</PageTitle>; }
