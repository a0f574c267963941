// Scaffold: replaced by the page itself.
import { PageTitle } from "../ui/common";
export function ReferralsPage(_: { params: Record<string, string> }) { return <PageTitle>ReferralsPage</PageTitle>; }
