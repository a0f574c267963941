// Scaffold: replaced by the page itself.
import { PageTitle } from "../ui/common";
export function MeetingsPage(_: { params: Record<string, string> }) { return <PageTitle>MeetingsPage</PageTitle>; }
export function MeetingPage(_: { params: Record<string, string> }) { return <PageTitle>MeetingPage</PageTitle>; }
export function MeetingPrintPage(_: { params: Record<string, string> }) { return <PageTitle>MeetingPrintPage</PageTitle>; }
export function NewMeetingPage(_: { params: Record<string, string> }) { return <PageTitle>NewMeetingPage</PageTitle>; }
