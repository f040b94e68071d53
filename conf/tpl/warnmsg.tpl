From: Mail Delivery System <MAILER-DAEMON@${host_name}>
To: ${return_path}
Subject: Delayed mail (still being retried)
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="${boundary}"

This is a delivery status notification in MIME format (RFC 3464).

--${boundary}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at ${host_name} (${package} ${version}).

Your message has not yet been delivered to these recipients:

@failed_rcpts

There is nothing you need to do now. The mail system keeps trying;
if it has to give up, you will get another notice that says so.

For help, write to <postmaster@${host_name}> and include this notice.

--${boundary}
Content-Description: Delivery report
Content-Type: message/delivery-status

@delivery_status

--${boundary}
Content-Description: Header of the delayed message
Content-Type: text/rfc822-headers

@msg_headers

--${boundary}--
