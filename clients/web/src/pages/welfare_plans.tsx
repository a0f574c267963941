// Scaffold: replaced by the page itself.
import { PageTitle } from "../ui/common";
export function WelfarePlansPage(_: { params: Record<string, string> }) { return <PageTitle>WelfarePlansPage</PageTitle>; }
