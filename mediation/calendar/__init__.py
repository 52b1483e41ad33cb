"""The hearing calendar (调解日程): mediation sessions scheduled with time, place, mediators,
the parties noticed and others invited; calendars per mediator and per committee; double
bookings flagged; .ics downloads and the 调解通知书."""
